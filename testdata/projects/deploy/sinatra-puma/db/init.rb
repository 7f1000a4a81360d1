# Creates the database afresh with deterministic rows: ruby db/init.rb
require "sqlite3"
require_relative "../lib/store"

AUTHORS = 200
BOOKS = 6000
WORDS = %w[night river garden winter glass city stone letters house silence machine ocean].freeze

path = Store.path
rnd = Random.new(1)
db = SQLite3::Database.new(path)
db.execute_batch(File.read(File.join(__dir__, "schema.sql")))
db.transaction do
  AUTHORS.times { |i| db.execute("INSERT INTO authors (id, name) VALUES (?, ?)", [i + 1, format("Author %03d", i)]) }
  BOOKS.times do |i|
    title = Array.new(3) { WORDS[rnd.rand(WORDS.size)] }.join(" ").capitalize
    db.execute("INSERT INTO books (author_id, title, year, price_cents) VALUES (?, ?, ?, ?)",
               [rnd.rand(AUTHORS) + 1, title, 1900 + rnd.rand(125), 500 + rnd.rand(5000)])
  end
end
db.close
puts "initialised #{path}: #{AUTHORS} authors, #{BOOKS} books"

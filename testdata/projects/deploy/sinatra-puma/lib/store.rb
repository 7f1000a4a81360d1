require "sqlite3"

# Store is the app's database: one SQLite connection per thread (a
# connection must not be shared by puma's threads).
class Store
  # BOOKS_DB, or db/books.sqlite3 in the app's directory: each checkout
  # (base and head) has its own.
  def self.path = ENV.fetch("BOOKS_DB", File.expand_path("../db/books.sqlite3", __dir__))

  def self.current
    Thread.current[:bookshelf_store] ||= new(path)
  end

  def initialize(path)
    raise "database #{path} does not exist: run ruby db/init.rb first" unless File.exist?(path)

    @db = SQLite3::Database.new(path, readonly: true, results_as_hash: true)
  end

  def newest(limit:)
    @db.execute(<<~SQL, [limit])
      SELECT b.id, b.title, b.year, b.price_cents, a.name AS author
      FROM books b JOIN authors a ON a.id = b.author_id
      ORDER BY b.year DESC, b.id DESC LIMIT ?
    SQL
  end

  def top_authors(limit:)
    @db.execute(<<~SQL, [limit])
      SELECT a.name, COUNT(*) AS books, AVG(b.price_cents) AS avg_price, MIN(b.year) AS since
      FROM books b JOIN authors a ON a.id = b.author_id
      GROUP BY a.id ORDER BY books DESC, a.name LIMIT ?
    SQL
  end

  def book(id)
    @db.get_first_row(<<~SQL, [id])
      SELECT b.*, a.name AS author FROM books b JOIN authors a ON a.id = b.author_id WHERE b.id = ?
    SQL
  end

  def ping = @db.get_first_value("SELECT 1")
end

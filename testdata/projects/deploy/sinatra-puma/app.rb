# Bookshelf: a Sinatra app whose pages query SQLite and render ERB views.
require "sinatra/base"
require_relative "lib/store"

class Bookshelf < Sinatra::Base
  configure do
    set :root, __dir__
    set :views, File.join(__dir__, "views")
  end

  helpers do
    def store = Store.current

    def money(cents) = format("%.2f", cents / 100.0)
  end

  # The newest books and, from a scan of every book, the authors with most.
  get "/" do
    @books = store.newest(limit: Integer(params.fetch("limit", "20")))
    @authors = store.top_authors(limit: 10)
    erb :index
  end

  get "/books/:id" do
    @book = store.book(Integer(params[:id])) or halt 404, "no such book"
    erb :book
  end

  get "/health" do
    store.ping
    "ok"
  end
end

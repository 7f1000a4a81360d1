# puma -b tcp://127.0.0.1:9292 -w 2 -t 4:4 config.ru
#
# bundler/setup loads the gems Gemfile.lock names, from where this
# directory's bundle is (bundle config set --local path vendor/bundle gives
# each checkout, base and head, its own).
require "bundler/setup"
require_relative "app"

run Bookshelf

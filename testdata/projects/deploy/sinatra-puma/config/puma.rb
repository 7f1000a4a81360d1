# Puma's configuration as Rails writes it and platforms start it: the port
# from PORT, worker processes from WEB_CONCURRENCY, threads per worker from
# RAILS_MAX_THREADS. bundle exec puma -C config/puma.rb
threads_count = Integer(ENV.fetch("RAILS_MAX_THREADS", 5))
threads threads_count, threads_count

bind "tcp://#{ENV.fetch("HOST", "127.0.0.1")}:#{ENV.fetch("PORT", 9292)}"

# One worker is single mode: a process of its own, no cluster master.
worker_count = Integer(ENV.fetch("WEB_CONCURRENCY", 1))
workers worker_count if worker_count > 1

environment ENV.fetch("RACK_ENV", "production")
rackup File.expand_path("../config.ru", __dir__)

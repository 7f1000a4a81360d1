#!/usr/bin/env bash
# Installs with apt what the tests need and this machine lacks: the one
# list for .ci/run (root on Debian) and the ci workflow (ubuntu-latest,
# through sudo). Without them the tests that run real servers skip.
set -euo pipefail

# The servers the tests run for real: gunicorn + Flask (the seed), and the
# other servers whose failures and figures the tests check: one for every
# server profile (bench/servers_test.go), with the fixture apps' libraries.
need=()
command -v gunicorn >/dev/null || need+=(gunicorn)
/usr/bin/python3 -c 'import flask' 2>/dev/null || need+=(python3-flask)
command -v wrk >/dev/null || need+=(wrk)
command -v puma >/dev/null || need+=(puma)
ruby -e 'require "rack"' 2>/dev/null || need+=(ruby-rack)
command -v uwsgi >/dev/null || need+=(uwsgi)
command -v uwsgi_python3 >/dev/null || need+=(uwsgi-plugin-python3)
command -v waitress-serve >/dev/null || need+=(python3-waitress)
/usr/bin/python3 -c 'import uvicorn' 2>/dev/null || need+=(python3-uvicorn)
/usr/bin/python3 -c 'import starlette' 2>/dev/null || need+=(python3-starlette)
/usr/bin/python3 -c 'import gevent' 2>/dev/null || need+=(python3-gevent)
command -v hypercorn >/dev/null || need+=(python3-hypercorn)
command -v node >/dev/null || need+=(nodejs)
command -v shellcheck >/dev/null || need+=(shellcheck) # actionlint checks run: scripts with it
# Per-side environments (--setup): virtualenvs and offline wheels, and the
# recipes' projects (testdata/projects): Django, FastAPI, SQLAlchemy,
# Sinatra, and PostgreSQL with psycopg2, which a test starts itself.
/usr/bin/python3 -c 'import ensurepip' 2>/dev/null || need+=(python3-venv)
/usr/bin/python3 -m pip --version >/dev/null 2>&1 || need+=(python3-pip)
/usr/bin/python3 -c 'import wheel, setuptools' 2>/dev/null || need+=(python3-wheel python3-setuptools)
/usr/bin/python3 -c 'import django' 2>/dev/null || need+=(python3-django)
/usr/bin/python3 -c 'import fastapi' 2>/dev/null || need+=(python3-fastapi)
/usr/bin/python3 -c 'import sqlalchemy' 2>/dev/null || need+=(python3-sqlalchemy)
/usr/bin/python3 -c 'import psycopg2' 2>/dev/null || need+=(python3-psycopg2)
ruby -e 'require "sinatra/base"' 2>/dev/null || need+=(ruby-sinatra)
ruby -e 'require "sqlite3"' 2>/dev/null || need+=(ruby-sqlite3)
command -v npm >/dev/null || need+=(npm) # Debian's nodejs comes without it
ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || need+=(postgresql)
[ ${#need[@]} -gt 0 ] || exit 0

# root runs apt itself; anyone else through sudo.
sudo=()
[ "$(id -u)" -eq 0 ] || sudo=(sudo)
echo "installing: ${need[*]}"
"${sudo[@]}" apt-get update -qq
"${sudo[@]}" env DEBIAN_FRONTEND=noninteractive \
  apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null

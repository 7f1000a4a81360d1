"""gunicorn's settings for Flaskr, as gunicorn's docs suggest them.

gunicorn reads this file from the directory it starts in; GUNICORN_CMD_ARGS
and the command line override it.
"""
import multiprocessing
import os

wsgi_app = "flaskr:create_app()"
bind = f"0.0.0.0:{os.environ.get('PORT', '8000')}"

# Two workers per core, plus one to cover a worker that is busy starting.
workers = multiprocessing.cpu_count() * 2 + 1
threads = int(os.environ.get("GUNICORN_THREADS", 2))

accesslog = "-"

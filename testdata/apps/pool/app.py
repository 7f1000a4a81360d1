"""A Flask app whose requests each hold one of 2 pooled connections.

GET /?ms=N   takes a connection from a pool of 2 per process (a
             BoundedSemaphore standing for a database pool, as
             SQLAlchemy's pool_size would be), holds it N ms (default
             50), gives it back: each worker serves at most 2 at a
             time, whatever its threads.
GET /health  answers at once, without the pool.
"""
import threading
import time

from flask import Flask, request

POOL_SIZE = 2
pool = threading.BoundedSemaphore(POOL_SIZE)
app = Flask(__name__)


@app.route("/")
def query():
    ms = float(request.args.get("ms", "50"))
    with pool:
        time.sleep(ms / 1000)
    return "ok"


@app.route("/health")
def health():
    return "ok"

"""A Flask app whose handler blocks in C, where gevent cannot reach.

GET /?ms=N   calls libc's usleep for N ms (default 50) through ctypes: a
             C call that gevent's monkey-patching cannot make cooperative,
             as a C database driver's would be. Under gunicorn -k gevent
             each worker then serves one request at a time.
GET /health  answers at once.
"""
import ctypes

from flask import Flask, request

libc = ctypes.CDLL(None)
app = Flask(__name__)


@app.route("/")
def wait():
    ms = float(request.args.get("ms", "50"))
    libc.usleep(int(ms * 1000))
    return "ok"


@app.route("/health")
def health():
    return "ok"

"""A connection pool per worker process; a connection per request."""
import os
import threading

from flask import current_app, g
from psycopg2.extras import RealDictCursor
from psycopg2.pool import ThreadedConnectionPool

_lock = threading.Lock()
_pools = {}  # by process id: a pool must not cross gunicorn's fork


def _pool():
    pid = os.getpid()
    with _lock:
        if pid not in _pools:
            _pools[pid] = ThreadedConnectionPool(
                1, 16, current_app.config["DATABASE_URL"], cursor_factory=RealDictCursor
            )
        return _pools[pid]


def get_db():
    if "db" not in g:
        g.db = _pool().getconn()
    return g.db


def put_db(exc=None):
    conn = g.pop("db", None)
    if conn is not None:
        conn.rollback()  # the pages only read: end the transaction
        _pool().putconn(conn)


def init_app(app):
    app.teardown_appcontext(put_db)

"""The database dependency: one SQLite connection per request."""
import sqlite3
from typing import Iterator

from .config import database_path


def connect() -> sqlite3.Connection:
    # FastAPI runs a plain-def dependency and endpoint in its thread pool,
    # not necessarily on the same thread.
    conn = sqlite3.connect(database_path(), check_same_thread=False)
    conn.row_factory = sqlite3.Row
    return conn


def get_db() -> Iterator[sqlite3.Connection]:
    conn = connect()
    try:
        yield conn
    finally:
        conn.close()

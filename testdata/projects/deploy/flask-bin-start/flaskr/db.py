"""The SQLite connection of a request, and the init-db command."""
import random
import sqlite3
from datetime import datetime, timedelta

import click
from flask import current_app, g

# Enough rows that the index page's queries do real work (a few ms).
USERS = 50
POSTS = 6000

WORDS = (
    "worker thread process queue slot request latency socket kernel cache "
    "python flask gunicorn sqlite template render query index page post"
).split()


def get_db():
    if "db" not in g:
        g.db = sqlite3.connect(
            current_app.config["DATABASE"], detect_types=sqlite3.PARSE_DECLTYPES
        )
        g.db.row_factory = sqlite3.Row
    return g.db


def close_db(e=None):
    db = g.pop("db", None)
    if db is not None:
        db.close()


def init_db():
    """Create the tables afresh and fill them with deterministic posts."""
    db = get_db()
    with current_app.open_resource("schema.sql") as f:
        db.executescript(f.read().decode("utf8"))
    rnd = random.Random(1)
    db.executemany(
        "INSERT INTO user (username, password) VALUES (?, ?)",
        [(f"user{i:02d}", "not-a-hash") for i in range(USERS)],
    )
    start = datetime(2024, 1, 1)
    db.executemany(
        "INSERT INTO post (author_id, created, title, body) VALUES (?, ?, ?, ?)",
        [
            (
                rnd.randrange(USERS) + 1,
                start + timedelta(minutes=i),
                " ".join(rnd.choices(WORDS, k=4)).capitalize(),
                " ".join(rnd.choices(WORDS, k=60)),
            )
            for i in range(POSTS)
        ],
    )
    db.commit()


@click.command("init-db")
def init_db_command():
    """Clear the existing data and create new tables."""
    init_db()
    click.echo(f"Initialized the database {current_app.config['DATABASE']}.")


def init_app(app):
    app.teardown_appcontext(close_db)
    app.cli.add_command(init_db_command)

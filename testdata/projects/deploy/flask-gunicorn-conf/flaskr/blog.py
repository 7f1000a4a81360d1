"""The blog's pages: the newest posts with per-author counts, and one post."""
from flask import Blueprint, abort, render_template, request

from .db import get_db

bp = Blueprint("blog", __name__)


@bp.route("/")
def index():
    db = get_db()
    posts = db.execute(
        "SELECT p.id, title, body, created, author_id, username"
        " FROM post p JOIN user u ON p.author_id = u.id"
        " ORDER BY created DESC LIMIT ?",
        (request.args.get("limit", 20, type=int),),
    ).fetchall()
    # A scan of every post: the page's sidebar of the busiest authors.
    authors = db.execute(
        "SELECT username, COUNT(*) AS posts, SUM(LENGTH(body)) AS chars"
        " FROM post p JOIN user u ON p.author_id = u.id"
        " GROUP BY u.id ORDER BY posts DESC LIMIT 10"
    ).fetchall()
    return render_template("blog/index.html", posts=posts, authors=authors)


@bp.route("/<int:id>")
def post(id):
    row = (
        get_db()
        .execute(
            "SELECT p.id, title, body, created, username"
            " FROM post p JOIN user u ON p.author_id = u.id WHERE p.id = ?",
            (id,),
        )
        .fetchone()
    )
    if row is None:
        abort(404, f"Post id {id} doesn't exist.")
    return render_template("blog/post.html", post=row)


@bp.route("/health")
def health():
    get_db().execute("SELECT 1").fetchone()
    return "ok"

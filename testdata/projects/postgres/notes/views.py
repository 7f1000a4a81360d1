"""The pages: the newest notes with a summary per tag, and one note."""
from flask import Blueprint, abort, render_template, request

from .db import get_db

bp = Blueprint("notes", __name__)


@bp.route("/")
def index():
    with get_db().cursor() as cur:
        cur.execute(
            "SELECT n.id, n.title, n.created, a.name AS author"
            " FROM note n JOIN author a ON a.id = n.author_id"
            " ORDER BY n.created DESC LIMIT %s",
            (request.args.get("limit", 20, type=int),),
        )
        newest = cur.fetchall()
        # A scan of every note: the summary per tag.
        cur.execute(
            "SELECT tag, COUNT(*) AS notes, AVG(octet_length(body))::int AS avg_length,"
            " MAX(created) AS latest"
            " FROM note GROUP BY tag ORDER BY notes DESC"
        )
        tags = cur.fetchall()
        cur.execute("SELECT side FROM deployment ORDER BY id DESC LIMIT 1")
        side = cur.fetchone()
    return render_template("index.html", newest=newest, tags=tags, side=side and side["side"])


@bp.route("/notes/<int:note_id>")
def note(note_id):
    with get_db().cursor() as cur:
        cur.execute(
            "SELECT n.*, a.name AS author FROM note n JOIN author a ON a.id = n.author_id"
            " WHERE n.id = %s",
            (note_id,),
        )
        row = cur.fetchone()
    if row is None:
        abort(404)
    return render_template("note.html", note=row)


@bp.route("/health")
def health():
    with get_db().cursor() as cur:
        cur.execute("SELECT 1")
    return "ok"

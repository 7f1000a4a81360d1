"""The app's pages: / does the dependency's work, /health does not."""

from flask import Blueprint

import slowdep

bp = Blueprint("pages", __name__)


@bp.route("/")
def index():
    return "slowdep %s\n" % slowdep.work()


@bp.route("/health")
def health():
    return "ok\n"

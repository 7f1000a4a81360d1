"""notes: a Flask app whose data lives in PostgreSQL (DATABASE_URL).

gunicorn starts it with "notes:create_app()". Base and head each get their
own database: DATABASE_URL=postgresql://…/app_{side} given to workerbench.
"""
import os

from flask import Flask


def create_app():
    app = Flask(__name__)
    app.config["DATABASE_URL"] = os.environ["DATABASE_URL"]

    from . import db, views

    db.init_app(app)
    app.register_blueprint(views.bp)
    return app

"""flaskr: the Flask tutorial's blog, as an application factory.

gunicorn starts it with "flaskr:create_app()". The SQLite database lives in
the instance folder (instance/flaskr.sqlite next to the package), or where
FLASK_DATABASE says, so each checkout (base and head) has its own.
"""
import os

from flask import Flask


def create_app(test_config=None):
    app = Flask(__name__, instance_relative_config=True)
    app.config.from_mapping(
        SECRET_KEY="dev",
        DATABASE=os.path.join(app.instance_path, "flaskr.sqlite"),
    )
    if test_config is None:
        app.config.from_pyfile("config.py", silent=True)
        # FLASK_DATABASE=/path/app.sqlite sets DATABASE, and so on.
        app.config.from_prefixed_env()
    else:
        app.config.from_mapping(test_config)

    os.makedirs(app.instance_path, exist_ok=True)

    from . import db

    db.init_app(app)

    from . import blog

    app.register_blueprint(blog.bp)
    app.add_url_rule("/", endpoint="index")

    return app

"""A tiny Flask app whose one page calls slowdep (pinned in requirements.txt).

Which slowdep it imported is logged at start-up, so a server log shows which
side's environment it ran in. With SLOWDEP_APP_STARTED set, each process that
imports the app appends its pid to that file: a test's proof that a server
was, or was not, started.
"""

import os
import sys

from flask import Flask

import views

app = Flask(__name__)
app.register_blueprint(views.bp)

print("app: slowdep %s from %s" % (views.slowdep.__version__, views.slowdep.__file__),
      file=sys.stderr, flush=True)

_started = os.environ.get("SLOWDEP_APP_STARTED")
if _started:
    with open(_started, "a") as f:
        f.write("%d\n" % os.getpid())

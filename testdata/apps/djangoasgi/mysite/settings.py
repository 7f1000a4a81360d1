"""A minimal Django project served over ASGI, for the blocked-loop test.

Django's ASGI handler runs a sync view in one thread per process
(asgiref's sync_to_async with thread_sensitive=True), so a view that
waits serves one request at a time per worker, whatever the event loop.
"""
SECRET_KEY = "test-only-not-secret"
DEBUG = False
ALLOWED_HOSTS = ["127.0.0.1", "localhost", "[::1]"]
ROOT_URLCONF = "mysite.urls"
INSTALLED_APPS = []
MIDDLEWARE = []
DATABASES = {}
USE_TZ = True

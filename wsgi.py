"""The WSGI entry point for gunicorn (``gunicorn wsgi:app``); it never starts the scheduler."""

from feedsvc import create_app

app = create_app()

"""Bench-only WSGI module: the real app plus a no-op route that measures the framework floor."""

from feedsvc import create_app

app = create_app()


@app.get("/_bench/floor")
def floor() -> str:
    """Do nothing: the cost of Flask, gunicorn and our after-request hooks alone."""
    return "ok"

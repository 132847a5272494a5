"""WSGI entry point for gunicorn: `gunicorn app.wsgi:app`. Runs no worker in-process."""

from app.web import create_app

app = create_app()

"""The running app's services: its settings and database (`stroom()`), and the request's
database session (`db_session()`). A leaf: every web and API module may import it; it imports
no domain.
"""

from __future__ import annotations

from flask import current_app, g, request
from sqlalchemy.orm import Session

from app.config import Settings
from app.db import Database
from app.privacy.context import LOGS_WITH_COMMIT


class Stroom:
    """What the application holds: its settings and its database."""

    def __init__(self, settings: Settings, db: Database) -> None:
        self.settings = settings
        self.db = db


def stroom() -> Stroom:
    return current_app.extensions["stroom"]


def db_session() -> Session:
    """One session per request; write requests take SQLite's write lock up front."""
    if "db_session" not in g:
        write = request.method not in ("GET", "HEAD", "OPTIONS")
        db = stroom().db
        if not write and request.path.startswith("/api/"):
            g.db_session = db.read_only_session()  # no BEGIN, no ROLLBACK: see its text
        else:
            g.db_session = db.session(write=write)
        if write:
            # The request's log rows go in with its own commit (app/privacy/logs.py), saving
            # a transaction per request; a read-only session never commits, so its rows
            # stay in a transaction of their own after the request.
            g.db_session.info[LOGS_WITH_COMMIT] = True
    return g.db_session

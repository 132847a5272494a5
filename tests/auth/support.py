"""Logging in step by step through the real pages, for the login and session tests: each
helper returns the response, so a test can check what an attacker would see."""

from __future__ import annotations

from typing import Any

import pyotp
from sqlalchemy import select

from app.auth import service
from app.auth.models import User
from app.db import Database
from tests.support.orgs import PASSWORD
from tests.support.web import csrf_token

COOKIE = "stroom_sessie"


def post_password(client: Any, username: str, password: str = PASSWORD) -> Any:
    return client.post(
        "/inloggen",
        data={"gebruikersnaam": username, "wachtwoord": password, "csrf_token": csrf_token(client)},
    )


def post_code(client: Any, code: str, path: str = "/inloggen/code") -> Any:
    return client.post(path, data={"code": code, "csrf_token": csrf_token(client, path)})


def log_out(client: Any) -> Any:
    return client.post("/uitloggen", data={"csrf_token": csrf_token(client, "/")})


def logged_in(client: Any) -> bool:
    """Whether the client's session opens a page that needs a login (and nothing more)."""
    return client.get("/taken").status_code == 200


def session_cookie(client: Any) -> str:
    cookie = client.get_cookie(COOKIE)
    assert cookie is not None, "no session cookie"
    return cookie.value


def replay(app: Any, cookie: str) -> Any:
    """A new browser with nothing but a saved copy of the session cookie."""
    other = app.test_client()
    other.set_cookie(COOKIE, cookie)
    return other


def enrol(db: Database, secret_key: str, clock: Any, username: str) -> str:
    """Give `username` a second factor as the enrolment page does; returns its seed."""
    seed = service.start_totp_enrollment(secret_key)
    with db.transaction() as session:
        row = session.scalar(select(User).where(User.username == username))
        service.finish_totp_enrollment(row, secret_key, seed, pyotp.TOTP(seed).at(clock.now()))
    return seed


def stored_user(db: Database, username: str) -> User:
    with db.session() as session:
        row = session.scalar(select(User).where(User.username == username))
        assert row is not None
        session.expunge(row)
        return row

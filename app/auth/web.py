"""People in the browser: the session, who is logged in, and page guards.

The session cookie is signed, HttpOnly, Secure and SameSite=Lax; it holds only the user id,
how far the login got (password, then the second factor), when it started and the user's
session generation. Every request reloads the user, so a deactivated account or a changed role
takes effect at once, and a session of an earlier generation (before a logout, a password
change, a deactivation or a second-factor reset) is no longer valid, also as a saved copy of
the signed cookie.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from functools import wraps
from typing import Any
from urllib.parse import urlparse

from flask import Flask, abort, g, redirect, request, session, url_for

from app import clock
from app.auth.models import User
from app.auth.principal import Principal
from app.auth.service import principal_for_user

SESSION_USER = "gebruiker"
SESSION_STAGE = "stap"  # "wachtwoord" (second factor pending) or "klaar"
SESSION_STARTED = "sinds"
SESSION_GENERATION = "generatie"


def configure_sessions(app: Flask, secure: bool, hours: float) -> None:
    app.config.update(
        SESSION_COOKIE_NAME="stroom_sessie",
        SESSION_COOKIE_SECURE=secure,
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        PERMANENT_SESSION_LIFETIME=timedelta(hours=hours),
        WTF_CSRF_TIME_LIMIT=None,  # the token lives as long as the session
        WTF_CSRF_SSL_STRICT=False,  # behind a proxy the Referer check adds nothing here
    )


def log_in(user: User, stage: str) -> None:
    session.clear()  # a new session id for every login (no fixation)
    session.permanent = True
    session[SESSION_USER] = user.id
    session[SESSION_STAGE] = stage
    session[SESSION_STARTED] = clock.now().isoformat()
    session[SESSION_GENERATION] = user.session_generation


def log_out() -> None:
    session.clear()


def _session_user(stage: str) -> User | None:
    if session.get(SESSION_STAGE) != stage or not session.get(SESSION_USER):
        return None
    from app.services import db_session

    user = db_session().get(User, session[SESSION_USER])
    if user is None or not user.active or not user.organisation.active:
        return None
    if session.get(SESSION_GENERATION) != user.session_generation:
        return None
    return user


def current_user() -> User | None:
    """The logged-in user (second factor done), or None."""
    if "web_user" not in g:
        g.web_user = _session_user("klaar")
    return g.web_user


def pending_user() -> User | None:
    """The user who gave a right password but still owes the second factor."""
    return _session_user("wachtwoord")


def web_principal() -> Principal | None:
    user = current_user()
    return principal_for_user(user) if user is not None else None


def safe_next(target: str | None) -> str:
    """Only a path on this site; anything else (an open redirect) goes to the start page."""
    if not target:
        return url_for("ui.home")
    parsed = urlparse(target)
    if parsed.scheme or parsed.netloc or not target.startswith("/") or target.startswith("//"):
        return url_for("ui.home")
    return target


def login_required(view: Callable[..., Any]) -> Callable[..., Any]:
    @wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        principal = web_principal()
        if principal is None:
            return redirect(url_for("auth.login", volgende=request.full_path.rstrip("?")))
        g.principal = principal
        return view(*args, **kwargs)

    return wrapper


def roles_required(*roles: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Logged in and holding one of `roles`; 403 otherwise (the page itself is no secret)."""

    def decorator(view: Callable[..., Any]) -> Callable[..., Any]:
        @wraps(view)
        @login_required
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            if not g.principal.roles & set(roles):
                abort(403)
            return view(*args, **kwargs)

        wrapper._stroom_roles = roles  # type: ignore[attr-defined]
        return wrapper

    return decorator

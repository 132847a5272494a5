"""A saved session cookie stops working when its user's sessions end (issue 16, item 13):
logging out, a password change, deactivation and a second-factor reset end every session of
that user, also copies of the cookie kept from before."""

from __future__ import annotations

import dataclasses
from datetime import timedelta

import pyotp
import pytest

from tests.auth.support import (
    enrol,
    log_out,
    logged_in,
    post_code,
    post_password,
    replay,
    session_cookie,
)
from tests.support.orgs import PASSWORD, organisation, user
from tests.support.web import csrf_token

NEW_PASSWORD = "Nieuw-Wachtwoord-2026"


@pytest.fixture
def settings(settings):  # type: ignore[no-untyped-def]
    return dataclasses.replace(settings, totp_roles=frozenset())


@pytest.fixture
def people(db) -> None:
    organisation(db, "beheer", "beheer")
    organisation(db, "weert-sdv", "gemeente")
    user(db, "bea", "beheer", roles=("beheerder",), groups=())
    user(db, "anna", "weert-sdv")


@pytest.fixture
def admin(app, people):  # type: ignore[no-untyped-def]
    client = app.test_client()
    assert post_password(client, "bea").status_code == 302
    return client


def admin_action(admin, username: str, action: str, **fields: str) -> None:  # type: ignore[no-untyped-def]
    path = f"/beheer/gebruikers/{username}"
    done = admin.post(path, data={"actie": action, "csrf_token": csrf_token(admin, path), **fields})
    assert done.status_code == 302, done.get_data(as_text=True)[:800]


def anna_logged_in(client) -> str:  # type: ignore[no-untyped-def]
    assert post_password(client, "anna").status_code == 302
    assert logged_in(client)
    return session_cookie(client)


def test_a_cookie_saved_before_logout_no_longer_works(client, app, people) -> None:
    saved = anna_logged_in(client)
    other_device = app.test_client()
    anna_logged_in(other_device)
    log_out(client)
    assert not logged_in(replay(app, saved))
    # Logging out ends every session of the user, not just this browser's.
    assert not logged_in(other_device)
    # Logging in again works, and gives a session of the new generation.
    assert logged_in(replay(app, anna_logged_in(client)))


def test_a_password_change_by_the_administrator_ends_the_sessions(client, app, admin) -> None:
    saved = anna_logged_in(client)
    admin_action(admin, "anna", "wachtwoord", wachtwoord=NEW_PASSWORD)
    assert not logged_in(replay(app, saved))
    assert not logged_in(client)
    assert post_password(client, "anna", PASSWORD).status_code == 422
    assert post_password(client, "anna", NEW_PASSWORD).status_code == 302


def test_deactivation_ends_the_sessions_even_after_reactivation(client, app, admin) -> None:
    saved = anna_logged_in(client)
    admin_action(admin, "anna", "uitschakelen")
    assert not logged_in(replay(app, saved))
    admin_action(admin, "anna", "inschakelen")
    assert not logged_in(replay(app, saved))
    assert logged_in(replay(app, anna_logged_in(client)))


def test_a_second_factor_reset_ends_the_sessions(client, app, admin, db, clock, settings) -> None:
    seed = enrol(db, settings.secret_key, clock, "anna")
    clock.advance(timedelta(seconds=30))  # the enrolment code is used up
    post_password(client, "anna")
    assert post_code(client, pyotp.TOTP(seed).at(clock.now())).status_code == 302
    saved = session_cookie(client)
    admin_action(admin, "anna", "tweede-factor-wissen")
    assert not logged_in(replay(app, saved))


def test_a_half_finished_login_ends_with_the_sessions(
    client, app, admin, db, clock, settings
) -> None:
    """Someone who had the old password and stopped at the code page cannot go on after the
    password was changed."""
    seed = enrol(db, settings.secret_key, clock, "anna")
    assert post_password(client, "anna").headers["Location"].endswith("/inloggen/code")
    admin_action(admin, "anna", "wachtwoord", wachtwoord=NEW_PASSWORD)
    clock.advance(timedelta(seconds=30))
    token = csrf_token(client)  # the code page itself now sends the session to the login
    pending = client.post(
        "/inloggen/code", data={"code": pyotp.TOTP(seed).at(clock.now()), "csrf_token": token}
    )
    assert pending.status_code == 302 and pending.headers["Location"].endswith("/inloggen")
    assert not logged_in(client)

"""Logging in: argon2 hashes, lock-out, CSRF, cookie flags, the second factor."""

from __future__ import annotations

import re
from datetime import timedelta

import pyotp
import pytest
from argon2 import PasswordHasher
from sqlalchemy import select

from app.auth import passwords, service
from app.auth.models import User
from app.privacy.models import AuditLog
from tests.support.orgs import PASSWORD, organisation, user


def csrf(client, path: str = "/inloggen") -> str:
    page = client.get(path).get_data(as_text=True)
    match = re.search(r'name="csrf_token" value="([^"]+)"', page) or re.search(
        r'name="csrf-token" content="([^"]+)"', page
    )

    assert match, "no CSRF token on the page"
    return match.group(1)


def login(client, username: str, password: str = PASSWORD):  # type: ignore[no-untyped-def]
    return client.post(
        "/inloggen",
        data={"gebruikersnaam": username, "wachtwoord": password, "csrf_token": csrf(client)},
    )


@pytest.fixture
def anna(db, clock):
    organisation(db, "weert-sdv", "gemeente")
    return user(db, "anna", "weert-sdv")


def test_passwords_are_argon2_hashes(db, anna) -> None:
    with db.session() as session:
        stored = session.scalar(select(User.password_hash).where(User.username == "anna"))
    assert stored.startswith("$argon2id$") and PASSWORD not in stored


def test_login_sets_a_secure_httponly_samesite_cookie(client, anna) -> None:
    response = login(client, "anna")
    assert response.status_code == 302
    cookie = next(
        h for h in response.headers.getlist("Set-Cookie") if h.startswith("stroom_sessie=")
    )
    assert "Secure" in cookie and "HttpOnly" in cookie and "SameSite=Lax" in cookie


def test_post_without_csrf_token_is_refused(client, anna) -> None:
    response = client.post("/inloggen", data={"gebruikersnaam": "anna", "wachtwoord": PASSWORD})
    assert response.status_code == 400
    assert "sessie is verlopen" in response.get_data(as_text=True)
    logged_in = client.post("/uitloggen")
    assert logged_in.status_code == 400


def test_brute_force_locks_the_account(client, anna, db, clock) -> None:
    for _ in range(5):
        assert login(client, "anna", "verkeerd-Wachtwoord-1").status_code == 422
    # Now even the right password is refused, with the lock-out message.
    refused = login(client, "anna")
    assert refused.status_code == 422 and "geblokkeerd" in refused.get_data(as_text=True)
    clock.advance(timedelta(minutes=16))
    assert login(client, "anna").status_code == 302
    with db.session() as session:
        results = session.scalars(
            select(AuditLog.result).where(AuditLog.action == "inloggen").order_by(AuditLog.id)
        ).all()
    assert results.count("geweigerd") == 6 and results[-1] == "gelukt"


def test_unknown_user_gets_the_same_answer(client, anna) -> None:
    unknown = login(client, "niemand", "verkeerd-Wachtwoord-1").get_data(as_text=True)
    wrong = login(client, "anna", "verkeerd-Wachtwoord-1").get_data(as_text=True)
    message = "gebruikersnaam of wachtwoord onjuist"
    assert message in unknown and message in wrong


def test_role_with_second_factor_must_enroll_then_use_it(client, db, clock) -> None:
    organisation(db, "beheer", "beheer")
    user(db, "bea", "beheer", roles=("beheerder",))
    first = login(client, "bea")
    assert first.headers["Location"].endswith("/inloggen/instellen")
    page = client.get("/inloggen/instellen").get_data(as_text=True)
    seed = re.search(r'aria-label="Sleutel">([A-Z0-9 ]+)<', page).group(1).replace(" ", "")
    token = csrf(client, "/inloggen/instellen")
    wrong = client.post("/inloggen/instellen", data={"code": "000000", "csrf_token": token})
    assert wrong.status_code == 422
    done = client.post(
        "/inloggen/instellen", data={"code": pyotp.TOTP(seed).at(clock.now()), "csrf_token": token}
    )
    assert done.status_code == 302
    client.post("/uitloggen", data={"csrf_token": csrf(client, "/")})
    clock.advance(timedelta(seconds=30))  # a code is accepted once: the next one

    second = login(client, "bea")
    assert second.headers["Location"].endswith("/inloggen/code")
    # Without the code, the session is not logged in.
    assert client.get("/beheer/gebruikers").status_code == 302
    code = pyotp.TOTP(seed).at(clock.now())
    ok = client.post(
        "/inloggen/code", data={"code": code, "csrf_token": csrf(client, "/inloggen/code")}
    )
    assert ok.status_code == 302


def test_next_page_is_never_another_site(client, anna) -> None:
    token = csrf(client)
    response = client.post(
        "/inloggen?volgende=https://evil.example/x",
        data={"gebruikersnaam": "anna", "wachtwoord": PASSWORD, "csrf_token": token},
    )
    assert response.headers["Location"] == "/"


def test_an_old_hash_is_renewed_at_login_even_for_a_short_password(client, anna, db) -> None:
    """Parameters change (a stronger default, a test-cost hash in a real database): the next
    login rehashes, and a password from before the length rule still opens the account."""
    old = PasswordHasher(time_cost=2, memory_cost=16, parallelism=1).hash("kort")
    with db.transaction() as session:
        service.user(session, "anna").password_hash = old
    assert login(client, "anna", "kort").status_code == 302
    with db.session() as session:
        renewed = service.user(session, "anna").password_hash
    assert renewed != old and not passwords.needs_rehash(renewed)


def test_an_enrolled_second_factor_is_never_replaced_by_enrolling(db, anna, clock) -> None:
    secret_key = "sleutel"
    first = service.start_totp_enrollment(secret_key)
    with db.transaction() as session:
        row = service.user(session, "anna")
        service.finish_totp_enrollment(row, secret_key, first, pyotp.TOTP(first).at(clock.now()))
    clock.advance(timedelta(seconds=30))
    second = service.start_totp_enrollment(secret_key)
    with db.transaction() as session:
        row = service.user(session, "anna")
        with pytest.raises(service.LoginError, match="al een tweede factor"):
            service.finish_totp_enrollment(
                row, secret_key, second, pyotp.TOTP(second).at(clock.now())
            )

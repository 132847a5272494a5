"""The second factor against someone who knows only the password (issue 16, items 1 and 2):
no fresh seed for an enrolled account, codes rate-limited and locked like passwords, and
every code accepted once."""

from __future__ import annotations

import dataclasses
import re
from datetime import timedelta

import pyotp
import pytest
from click.testing import CliRunner
from sqlalchemy import select

from app.auth.service import MAX_FAILED_LOGINS
from app.cli import main
from app.privacy.models import AuditLog
from app.ratelimit import LOGIN_LIMIT
from tests.auth.support import (
    enrol,
    log_out,
    logged_in,
    post_code,
    post_password,
    stored_user,
)
from tests.support.orgs import organisation, user
from tests.support.web import csrf_token

ENROL = "/inloggen/instellen"


@pytest.fixture
def settings(settings):  # type: ignore[no-untyped-def]
    # The privacy officer needs a second factor; the administrator here does not, so the
    # tests can act as both in one session.
    return dataclasses.replace(settings, totp_roles=frozenset({"privacyfunctionaris"}))


@pytest.fixture
def seed(db, clock, settings) -> str:
    """Pia, privacy officer, with a second factor set up on an earlier day."""
    organisation(db, "beheer", "beheer")
    user(db, "pia", "beheer", roles=("privacyfunctionaris",), groups=())
    seed = enrol(db, settings.secret_key, clock, "pia")
    clock.advance(timedelta(days=1))
    return seed


def wrong_codes(seed: str, clock, count: int) -> list[str]:  # type: ignore[no-untyped-def]
    """Codes no window around now accepts."""
    totp = pyotp.TOTP(seed)
    near = {totp.at(clock.now() + timedelta(seconds=s)) for s in (-30, 0, 30)}
    return [c for c in (f"{n:06d}" for n in range(count + 3)) if c not in near][:count]


def shown_seed(page: str) -> str | None:
    match = re.search(r'aria-label="Sleutel">([A-Z0-9 ]+)<', page)
    return match.group(1).replace(" ", "") if match else None


# -- item 1: the password alone cannot replace the second factor --------------------------------


def test_the_password_alone_gets_no_fresh_seed_for_an_enrolled_account(
    client, db, clock, seed
) -> None:
    before = stored_user(db, "pia").totp_secret
    # The attacker knows only the password and goes to the enrolment page instead of the code.
    assert post_password(client, "pia").headers["Location"].endswith("/inloggen/code")
    offered = client.get(ENROL)
    assert shown_seed(offered.get_data(as_text=True)) is None, "a fresh seed was handed out"
    assert offered.status_code == 302 and offered.headers["Location"].endswith("/inloggen/code")
    # Posting a code there (for any seed) neither logs in nor replaces the secret.
    attacker = pyotp.random_base32()
    posted = client.post(
        ENROL, data={"code": pyotp.TOTP(attacker).at(clock.now()), "csrf_token": csrf_token(client)}
    )
    assert posted.status_code == 302 and posted.headers["Location"].endswith("/inloggen/code")
    assert not logged_in(client)
    assert stored_user(db, "pia").totp_secret == before
    # The real code still works.
    assert post_code(client, pyotp.TOTP(seed).at(clock.now())).status_code == 302
    assert logged_in(client)


def test_after_an_administrators_reset_the_user_enrols_again(client, app, db, clock, seed) -> None:
    organisation(db, "it", "beheer")
    user(db, "bea", "it", roles=("beheerder",), groups=())
    admin = app.test_client()
    assert post_password(admin, "bea").status_code == 302
    path = "/beheer/gebruikers/pia"
    reset = admin.post(
        path, data={"actie": "tweede-factor-wissen", "csrf_token": csrf_token(admin, path)}
    )
    assert reset.status_code == 302
    with db.session() as session:
        audit = session.scalars(
            select(AuditLog).where(AuditLog.action == "gebruiker.tweede-factor-wissen")
        ).one()
    assert (audit.actor, audit.object_id, audit.result) == ("user:bea", "pia", "gelukt")

    assert post_password(client, "pia").headers["Location"].endswith(ENROL)
    new_seed = shown_seed(client.get(ENROL).get_data(as_text=True))
    assert new_seed and new_seed != seed
    assert post_code(client, pyotp.TOTP(new_seed).at(clock.now()), ENROL).status_code == 302
    assert logged_in(client)


def test_the_command_line_resets_a_second_factor_with_an_audit_line(db, clock, seed) -> None:
    generation = stored_user(db, "pia").session_generation
    result = CliRunner().invoke(main, ["--database", db.url, "users", "reset-totp", "pia"])
    assert result.exit_code == 0, result.output
    assert "pia" in result.output
    row = stored_user(db, "pia")
    assert row.totp_secret is None and row.session_generation == generation + 1
    with db.session() as session:
        audit = session.scalars(
            select(AuditLog).where(AuditLog.action == "gebruiker.tweede-factor-wissen")
        ).one()
    assert (audit.actor, audit.object_id, audit.result) == ("system:cli", "pia", "gelukt")
    unknown = CliRunner().invoke(main, ["--database", db.url, "users", "reset-totp", "niemand"])
    assert unknown.exit_code == 1 and "niemand" in unknown.output


# -- item 2: codes cannot be guessed -------------------------------------------------------------


def test_wrong_codes_lock_the_account_and_then_even_the_right_code_is_refused(
    client, db, clock, seed
) -> None:
    post_password(client, "pia")
    for code in wrong_codes(seed, clock, MAX_FAILED_LOGINS):
        assert post_code(client, code).status_code == 422
    assert stored_user(db, "pia").locked_until > clock.now()
    right = post_code(client, pyotp.TOTP(seed).at(clock.now()))
    assert right.status_code == 422 and "geblokkeerd" in right.get_data(as_text=True)
    assert not logged_in(client)
    clock.advance(timedelta(minutes=16))
    assert post_code(client, pyotp.TOTP(seed).at(clock.now())).status_code == 302
    assert logged_in(client)


def test_a_new_password_step_does_not_reset_the_count_of_wrong_codes(
    client, db, clock, seed
) -> None:
    post_password(client, "pia")
    guesses = wrong_codes(seed, clock, MAX_FAILED_LOGINS)
    for code in guesses[:-1]:
        assert post_code(client, code).status_code == 422
    # Entering the password again must not buy a fresh series of guesses.
    assert post_password(client, "pia").headers["Location"].endswith("/inloggen/code")
    assert post_code(client, guesses[-1]).status_code == 422
    right = post_code(client, pyotp.TOTP(seed).at(clock.now()))
    assert right.status_code == 422 and "geblokkeerd" in right.get_data(as_text=True)


def test_code_guessing_is_rate_limited_per_address(client, clock, seed) -> None:
    post_password(client, "pia")
    allowed = int(LOGIN_LIMIT.split()[0])
    answers = [post_code(client, code).status_code for code in wrong_codes(seed, clock, allowed)]
    assert answers == [422] * allowed
    refused = post_code(client, pyotp.TOTP(seed).at(clock.now()))
    assert refused.status_code == 429 and "Te veel verzoeken" in refused.get_data(as_text=True)
    assert not logged_in(client)


def test_a_code_is_accepted_once(client, app, db, clock, seed) -> None:
    code = pyotp.TOTP(seed).at(clock.now())
    post_password(client, "pia")
    assert post_code(client, code).status_code == 302
    # Someone who saw the code (over a shoulder, in a proxy log) tries it in its window.
    thief = app.test_client()
    post_password(thief, "pia")
    replayed = post_code(thief, code)
    assert replayed.status_code == 422 and "al gebruikt" in replayed.get_data(as_text=True)
    assert not logged_in(thief)
    # The code of the step before is still in the window, but older than the one used.
    clock.advance(timedelta(seconds=30))
    older = post_code(thief, code)
    assert older.status_code == 422 and not logged_in(thief)
    assert stored_user(db, "pia").locked_until is None  # a replay is no guess
    assert post_code(thief, pyotp.TOTP(seed).at(clock.now())).status_code == 302


def test_the_enrolment_code_cannot_be_used_again_to_log_in(client, db, clock) -> None:
    organisation(db, "beheer", "beheer")
    user(db, "pia", "beheer", roles=("privacyfunctionaris",), groups=())
    post_password(client, "pia")
    seed = shown_seed(client.get(ENROL).get_data(as_text=True))
    code = pyotp.TOTP(seed).at(clock.now())
    assert post_code(client, code, ENROL).status_code == 302
    log_out(client)
    post_password(client, "pia")
    assert post_code(client, code).status_code == 422
    assert not logged_in(client)


def test_enrolment_codes_are_locked_and_rate_limited_too(client, db, clock) -> None:
    organisation(db, "beheer", "beheer")
    user(db, "pia", "beheer", roles=("privacyfunctionaris",), groups=())
    assert post_password(client, "pia").headers["Location"].endswith(ENROL)
    seed = shown_seed(client.get(ENROL).get_data(as_text=True))
    allowed = int(LOGIN_LIMIT.split()[0])
    guesses = wrong_codes(seed, clock, allowed)
    for code in guesses[:MAX_FAILED_LOGINS]:
        assert post_code(client, code, ENROL).status_code == 422
    right = post_code(client, pyotp.TOTP(seed).at(clock.now()), ENROL)
    assert right.status_code == 422 and "geblokkeerd" in right.get_data(as_text=True)
    assert stored_user(db, "pia").totp_secret is None
    answers = [post_code(client, c, ENROL).status_code for c in guesses[MAX_FAILED_LOGINS + 1 :]]
    assert answers == [422] * len(answers)
    assert post_code(client, guesses[0], ENROL).status_code == 429

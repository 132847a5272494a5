"""Usernames cannot be told apart at the login form (issue 16, item 12): an unknown user, a
deactivated one, one of a deactivated organisation, a locked one and a wrong password cost
the same argon2 work and get the same answer. The work is counted in hash and verify calls,
not measured in milliseconds, so the test is exact and does not depend on the machine."""

from __future__ import annotations

import re
from collections import Counter
from datetime import timedelta
from typing import Any

import pytest
from argon2 import PasswordHasher, extract_parameters

from app import clock as clock_module
from app.auth import service
from tests.auth.support import post_password, stored_user
from tests.support.orgs import PASSWORD, organisation, user

WRONG = "Verkeerd-Wachtwoord-99"
# username, password: the accounts that exist are tried with their right password, which
# must not help either.
CASES = {
    "onbekend": ("onbekend.account", PASSWORD),
    "uitgeschakeld": ("bekend.uitgeschakeld", PASSWORD),
    "organisatie uitgeschakeld": ("bekend.vanoudeorg", PASSWORD),
    "geblokkeerd": ("bekend.geblokkeerd", PASSWORD),
    "verkeerd wachtwoord": ("bekend.actief", WRONG),
}


@pytest.fixture
def accounts(db, clock) -> None:
    organisation(db, "weert-sdv", "gemeente")
    organisation(db, "oude-org", "gemeente")
    for name in ("bekend.actief", "bekend.uitgeschakeld", "bekend.geblokkeerd"):
        user(db, name, "weert-sdv")
    user(db, "bekend.vanoudeorg", "oude-org")
    with db.transaction() as session:
        service.user(session, "bekend.uitgeschakeld").active = False
        service.user(session, "bekend.geblokkeerd").locked_until = clock_module.now() + timedelta(
            minutes=10
        )
        service.organisation(session, "oude-org").active = False


@pytest.fixture
def argon2_calls(monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    """Counts PasswordHasher.hash and .verify calls, and notes the parameters of every hash
    a password was verified against."""
    seen: dict[str, Any] = {"calls": Counter(), "parameters": []}
    real_hash, real_verify = PasswordHasher.hash, PasswordHasher.verify

    def counting_hash(self: PasswordHasher, password: Any, *, salt: Any = None) -> str:
        seen["calls"]["hash"] += 1
        return real_hash(self, password, salt=salt)

    def counting_verify(self: PasswordHasher, stored: Any, password: Any) -> bool:
        seen["calls"]["verify"] += 1
        seen["parameters"].append(extract_parameters(stored))
        return real_verify(self, stored, password)

    monkeypatch.setattr(PasswordHasher, "hash", counting_hash)
    monkeypatch.setattr(PasswordHasher, "verify", counting_verify)
    return seen


def test_every_refusal_costs_the_same_argon2_work(client, accounts, db, argon2_calls) -> None:
    real = extract_parameters(stored_user(db, "bekend.actief").password_hash)
    costs = {}
    for case, (username, password) in CASES.items():
        argon2_calls["calls"].clear()
        assert post_password(client, username, password).status_code == 422
        costs[case] = dict(argon2_calls["calls"])
    assert costs == {case: {"verify": 1} for case in CASES}
    # The dummy hash of unknown users has the parameters of real hashes (same work).
    assert argon2_calls["parameters"] == [real] * len(CASES)


CSRF_VALUE = re.compile(
    r'(?<=name="csrf_token" value=")[^"]+|(?<=name="csrf-token" content=")[^"]+'
)


def test_every_refusal_gives_the_same_answer(client, accounts) -> None:
    answers = {}
    for case, (username, password) in CASES.items():
        response = post_password(client, username, password)
        # The form shows the name that was typed, and a CSRF token signed with the second it
        # was made (two answers a second apart differ there); everything else is identical.
        page = response.get_data(as_text=True).replace(username, "…")
        answers[case] = (response.status_code, CSRF_VALUE.sub("csrf", page))
    first = answers["verkeerd wachtwoord"]
    assert first[0] == 422 and "gebruikersnaam of wachtwoord onjuist" in first[1]
    assert {case: answer == first for case, answer in answers.items()} == dict.fromkeys(CASES, True)


def test_a_locked_account_opens_again_after_the_lock(client, accounts, clock) -> None:
    clock.advance(timedelta(minutes=11))
    assert post_password(client, "bekend.geblokkeerd").status_code == 302

"""`stroom token create` gives only the scopes asked for, and says what the token can do
(issue 16, item 15)."""

from __future__ import annotations

import pytest
from click.testing import CliRunner
from sqlalchemy import func, select

from app.auth.models import ApiToken
from app.auth.service import bearer_principal
from app.auth.tokens import ALL_SCOPES
from app.cli import main
from tests.support.orgs import organisation


@pytest.fixture
def run(db, clock):  # type: ignore[no-untyped-def]
    def invoke(*args: str):  # type: ignore[no-untyped-def]
        return CliRunner().invoke(main, ["--database", db.url, "token", "create", *args])

    return invoke


def _count(db) -> int:  # type: ignore[no-untyped-def]
    with db.session() as session:
        return session.scalar(select(func.count()).select_from(ApiToken))


def test_a_token_without_scopes_is_refused_with_the_scopes_listed(run, db) -> None:
    result = run("script")
    assert result.exit_code == 2
    assert "--scope" in result.output
    assert all(scope in result.output for scope in ALL_SCOPES)
    assert _count(db) == 0


def test_the_new_token_says_what_it_can_do(run, db, clock) -> None:
    organisation(db, "ymere", "woningcorporatie", "haarlem")
    result = run(
        "ymere-koppeling",
        "--scope",
        "signals:write",
        "--scope",
        "feedback:read",
        "--organisation",
        "ymere",
        "--days",
        "90",
    )
    assert result.exit_code == 0, result.output
    # Only the token goes to stdout, so a script can capture it; the rest is on stderr.
    secret = result.stdout.strip()
    assert secret.startswith("stroom_") and "\n" not in secret
    assert "scopes: feedback:read signals:write" in result.stderr
    assert "organisatie: ymere" in result.stderr
    assert "verloopt: 2026-05-31 10:00" in result.stderr  # 90 days after 2 March 09:00
    with db.session() as session:
        found = bearer_principal(session, secret)
        assert found is not None
        principal = found[0]
        assert principal.scopes == {"feedback:read", "signals:write"}
        assert principal.organisation_key == "ymere"
        row = session.scalar(select(ApiToken).where(ApiToken.id == principal.id))
        assert row is not None and row.expires_at is not None


def test_an_operator_token_says_it_acts_for_the_installation(run, db) -> None:
    result = run("beheer-script", "--scope", "instances:read")
    assert result.exit_code == 0, result.output
    assert "organisatie: geen (beheertoken voor de hele installatie)" in result.stderr
    assert "verloopt: nooit" in result.stderr


def test_a_wrong_expiry_is_refused(run, db) -> None:
    result = run("script", "--scope", "tasks:read", "--days", "0")
    assert result.exit_code == 2 and "--days" in result.output
    assert _count(db) == 0

"""Organisations, teams and users managed by an administrator: on the Beheer pages and with
the command line. Bad input names the field and stores nothing; every change is audited."""

from __future__ import annotations

import dataclasses
import json

import pytest
from click.testing import CliRunner
from sqlalchemy import select

from app.auth import service
from app.auth.models import User
from app.cli import main
from app.privacy.models import AuditLog
from tests.support.orgs import PASSWORD, organisation, user
from tests.support.web import csrf_token, log_in


@pytest.fixture
def settings(settings):  # type: ignore[no-untyped-def]
    # Administrators need a second factor by default; tests/auth/test_login.py covers it.
    return dataclasses.replace(settings, totp_roles=frozenset())


@pytest.fixture
def admin(db, client):
    organisation(db, "beheer", "gemeente", "haarlem")
    organisation(db, "haarlem-swt", "wijkteam", "haarlem")
    user(db, "bea", "beheer", roles=("beheerder",))
    return log_in(client, "bea")


def _post(client, path: str, data: dict):
    return client.post(path, data={"csrf_token": csrf_token(client, path), **data})


def test_an_administrator_creates_a_user_who_can_log_in(db, admin, app) -> None:
    created = _post(
        admin,
        "/beheer/gebruikers",
        {
            "gebruikersnaam": "Sanne",
            "naam": "Sanne Jansen",
            "organisatie": "haarlem-swt",
            "wachtwoord": PASSWORD,
            "rollen": ["behandelaar"],
            "groepen": ["haarlem-swt"],
        },
    )
    assert created.status_code == 302, created.get_data(as_text=True)[:1500]
    with db.session() as session:
        row = service.user(session, "sanne")
        assert set(row.roles) == {"behandelaar"}
        audit = session.scalars(
            select(AuditLog).where(AuditLog.action == "gebruiker.aanmaken")
        ).one()
    assert audit.actor == "user:bea" and audit.object_id == "sanne"
    log_in(app.test_client(), "sanne")


def test_bad_input_names_the_field_and_stores_nothing(db, admin) -> None:
    refused = _post(
        admin,
        "/beheer/gebruikers",
        {"gebruikersnaam": "x y", "naam": "", "organisatie": "bestaat-niet", "wachtwoord": "kort"},
    )
    page = refused.get_data(as_text=True)
    assert refused.status_code == 422 and "Fout" in page
    with db.session() as session:
        assert session.scalars(select(User.username)).all() == ["bea"]


def test_only_an_administrator_may(db, client) -> None:
    organisation(db, "haarlem-swt", "wijkteam", "haarlem")
    user(db, "sanne", "haarlem-swt")
    log_in(client, "sanne")
    assert client.get("/beheer/gebruikers").status_code == 403


def test_the_command_line(db, clock) -> None:
    runner = CliRunner()

    def run(*args: str, ok: bool = True, input: str | None = None):
        result = runner.invoke(main, ["--database", db.url, *args], input=input)
        if ok:
            assert result.exit_code == 0, result.output
        return result

    run(
        "organisations",
        "add",
        "ymere",
        "Ymere",
        "--kind",
        "woningcorporatie",
        "--municipality",
        "haarlem",
    )
    run("groups", "add", "ymere-incasso", "Incasso", "--organisation", "ymere")
    run(
        "users",
        "add",
        "anna",
        "Anna de Vries",
        "--organisation",
        "ymere",
        "--role",
        "behandelaar",
        "--group",
        "ymere-incasso",
        "--password",
        PASSWORD,
    )
    listed = json.loads(run("users", "list", "--json").output)
    [anna] = [u for u in listed if u["gebruikersnaam"] == "anna"]
    assert "ymere-incasso" in json.dumps(anna)
    orgs = json.loads(run("organisations", "list", "--json").output)
    assert "ymere" in json.dumps(orgs)

    twice = run("organisations", "add", "ymere", "Ymere", "--kind", "woningcorporatie", ok=False)
    assert twice.exit_code != 0 and "ymere" in twice.output
    weak = run(
        "users", "add", "bram", "Bram", "--organisation", "ymere", "--password", "kort", ok=False
    )
    assert weak.exit_code != 0 and "wachtwoord" in weak.output.lower()
    unknown = run(
        "users",
        "add",
        "carla",
        "Carla",
        "--organisation",
        "bestaat-niet",
        "--password",
        PASSWORD,
        ok=False,
    )
    assert unknown.exit_code != 0 and "bestaat-niet" in unknown.output
    with db.session() as session:
        assert sorted(session.scalars(select(User.username))) == ["anna"]

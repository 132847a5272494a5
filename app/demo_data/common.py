"""The people of the demo who belong to no municipality (the installation's own staff), and
`load_people`, with which each process package's demo loader adds its organisations and users.

Everything is fictional. All demo users share one password (DEMO_PASSWORD); administrators
and privacy officers set up their second factor at first login.
"""

from __future__ import annotations

from sqlalchemy import select

from app.auth import service
from app.auth.models import Organisation, User
from app.config import Settings
from app.db import Database

DEMO_PASSWORD = "Stroom-Demo-2026"

# (key, name, kind, municipality, extra groups [(key, name)]); each gets a group of its own key.
Organisation_ = tuple[str, str, str, str | None, list[tuple[str, str]]]
# (username, name, organisation, roles, groups or None for the organisation's own team)
Person = tuple[str, str, str, tuple[str, ...], list[str] | None]

ORGANISATIONS: list[Organisation_] = [
    ("beheer", "Regionaal beheer Stroom", "beheer", None, []),
]
PEOPLE: list[Person] = [
    ("beheerder", "Bea Beheer", "beheer", ("beheerder",), []),
    ("privacy", "Pieter Privacy", "beheer", ("privacyfunctionaris",), []),
    ("procesbeheer", "Paula Proces", "beheer", ("procesbeheerder",), []),
]


def load_people(
    db: Database, organisations: list[Organisation_], people: list[Person]
) -> list[str]:
    """Idempotent: organisations and users that exist already are left as they are."""
    lines = []
    with db.transaction() as session:
        for key, name, kind, municipality, groups in organisations:
            if session.scalar(select(Organisation.id).where(Organisation.key == key)):
                continue
            service.create_organisation(session, key, name, kind, municipality)
            service.create_group(session, key, name, key)
            for group_key, group_name in groups:
                service.create_group(session, group_key, group_name, key)
            lines.append(f"organisatie {key}")
        for username, name, org, roles, groups in people:
            if session.scalar(select(User.id).where(User.username == username)):
                continue
            service.create_user(
                session,
                username,
                name,
                org,
                password=DEMO_PASSWORD,
                roles=roles,
                groups=groups if groups is not None else [org],
            )
            lines.append(f"gebruiker {username}")
    return lines


def load(db: Database, settings: Settings) -> list[str]:
    lines = load_people(db, ORGANISATIONS, PEOPLE)
    if lines:
        lines.append(f"demogebruikers loggen in met wachtwoord {DEMO_PASSWORD}")
    return lines

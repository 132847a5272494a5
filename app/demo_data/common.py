"""The organisations, teams and people of the demo: five municipalities and their partners.

Everything is fictional. All demo users share one password (DEMO_PASSWORD); administrators
and privacy officers set up their second factor at first login.
"""

from __future__ import annotations

from sqlalchemy import select

from app.auth import service
from app.auth.models import Organisation
from app.config import Settings
from app.db import Database

DEMO_PASSWORD = "Stroom-Demo-2026"

# (key, name, kind, municipality, extra groups [(key, name)])
ORGANISATIONS: list[tuple[str, str, str, str | None, list[tuple[str, str]]]] = [
    ("beheer", "Regionaal beheer Stroom", "beheer", None, []),
    # Haarlem
    ("elan-wonen", "Elan Wonen", "woningcorporatie", "haarlem", []),
    ("pre-wonen", "Pré Wonen", "woningcorporatie", "haarlem", []),
    ("ymere", "Ymere", "woningcorporatie", "haarlem", []),
    (
        "haarlem-swt",
        "Sociaal Wijkteam Haarlem",
        "wijkteam",
        "haarlem",
        [("haarlem-swt-leiding", "Teamleiding Sociaal Wijkteam")],
    ),
    ("haarlem-sdv", "Schulddienstverlening Haarlem", "gemeente", "haarlem", []),
    ("haarlem-troubleshooter", "Troubleshooter gemeente Haarlem", "gemeente", "haarlem", []),
    # Utrecht
    ("portaal", "Portaal", "woningcorporatie", "utrecht", []),
    ("mitros", "Mitros", "woningcorporatie", "utrecht", []),
    (
        "buurtteam-utrecht",
        "Buurtteam Utrecht",
        "wijkteam",
        "utrecht",
        [("vh-coordinator", "VH-coördinatoren")],
    ),
    ("utrecht-wi", "Werk en Inkomen Utrecht", "gemeente", "utrecht", []),
    # Weert
    ("wonen-limburg", "Wonen Limburg", "woningcorporatie", "weert", []),
    ("st-joseph", "Woningstichting St. Joseph", "woningcorporatie", "weert", []),
    ("weert-administratie", "Gemeente Weert, administratie", "gemeente", "weert", []),
    ("weert-sdv", "Gemeente Weert, schulddienstverlening", "gemeente", "weert", []),
    ("weert-participatie", "Gemeente Weert, participatie", "gemeente", "weert", []),
    ("amw-midden-limburg", "AMW Midden-Limburg", "amw", "weert", []),
    # Diemen
    ("eigen-haard", "Eigen Haard", "woningcorporatie", "diemen", []),
    ("diemen-uitvoerder", "Uitvoerder schuldhulp Diemen", "uitvoerder", "diemen", []),
    ("diemen-gemeente", "Gemeente Diemen", "gemeente", "diemen", []),
    ("plangroep", "Plangroep", "budgetbeheer", "diemen", []),
    ("humanitas-diemen", "Humanitas Diemen", "vrijwilligers", "diemen", []),
    # Hollands Kroon
    ("wooncompagnie", "Wooncompagnie", "woningcorporatie", "hollands-kroon", []),
    ("beter-wonen", "Beter Wonen", "woningcorporatie", "hollands-kroon", []),
    ("zorgverzekeraar-nh", "Zorgverzekeraar Noord-Holland", "schuldeiser", "hollands-kroon", []),
    ("waterbedrijf-nh", "Waterbedrijf Noord-Holland", "schuldeiser", "hollands-kroon", []),
    ("energie-nh", "Energieleverancier Noord-Holland", "schuldeiser", "hollands-kroon", []),
    (
        "hk-schulddienstverlening",
        "Schulddienstverlening Hollands Kroon",
        "gemeente",
        "hollands-kroon",
        [],
    ),
]

# (username, name, organisation, roles, groups or None for the organisation's own team)
USERS: list[tuple[str, str, str, tuple[str, ...], list[str] | None]] = [
    ("beheerder", "Bea Beheer", "beheer", ("beheerder",), []),
    ("privacy", "Pieter Privacy", "beheer", ("privacyfunctionaris",), []),
    ("procesbeheer", "Paula Proces", "beheer", ("procesbeheerder",), []),
    ("ymere.anna", "Anna de Vries", "ymere", ("behandelaar",), None),
    ("swt.sanne", "Sanne Jansen", "haarlem-swt", ("behandelaar",), None),
    ("swt.samir", "Samir El Amrani", "haarlem-swt", ("behandelaar",), None),
    (
        "swt.tineke",
        "Tineke Bos",
        "haarlem-swt",
        ("teamleider", "manager"),
        ["haarlem-swt", "haarlem-swt-leiding"],
    ),
    ("sdv.henk", "Henk Visser", "haarlem-sdv", ("behandelaar",), None),
    ("troubleshooter.ilse", "Ilse Smit", "haarlem-troubleshooter", ("behandelaar",), None),
    ("portaal.wim", "Wim Bakker", "portaal", ("behandelaar",), None),
    ("buurtteam.fatima", "Fatima Ouali", "buurtteam-utrecht", ("behandelaar",), None),
    (
        "buurtteam.karel",
        "Karel de Groot",
        "buurtteam-utrecht",
        ("behandelaar", "teamleider"),
        ["buurtteam-utrecht", "vh-coordinator"],
    ),
    ("wi.joost", "Joost Mulder", "utrecht-wi", ("behandelaar",), None),
    ("wl.marieke", "Marieke Peters", "wonen-limburg", ("behandelaar",), None),
    ("weert.admin", "Rob Hendriks", "weert-administratie", ("behandelaar",), None),
    ("weert.sdv", "Lotte Willems", "weert-sdv", ("behandelaar", "manager"), None),
    ("weert.participatie", "Eva Smeets", "weert-participatie", ("behandelaar",), None),
    ("amw.noor", "Noor Janssen", "amw-midden-limburg", ("behandelaar",), None),
    ("eigenhaard.tom", "Tom Kok", "eigen-haard", ("behandelaar",), None),
    ("uitvoerder.lisa", "Lisa Vermeer", "diemen-uitvoerder", ("behandelaar",), None),
    ("diemen.gemeente", "Gert Diemen", "diemen-gemeente", ("behandelaar",), None),
    ("plangroep.piet", "Piet Plan", "plangroep", ("behandelaar",), None),
    ("humanitas.hanna", "Hanna de Wit", "humanitas-diemen", ("behandelaar",), None),
    ("wooncompagnie.jan", "Jan Schouten", "wooncompagnie", ("behandelaar",), None),
    ("hk.sdv.mira", "Mira Dekker", "hk-schulddienstverlening", ("behandelaar",), None),
]


def load(db: Database, settings: Settings) -> list[str]:
    """Idempotent: organisations and users that exist already are left as they are."""
    lines = []
    with db.transaction() as session:
        for key, name, kind, municipality, groups in ORGANISATIONS:
            if session.scalar(select(Organisation.id).where(Organisation.key == key)):
                continue
            service.create_organisation(session, key, name, kind, municipality)
            service.create_group(session, key, name, key)
            for group_key, group_name in groups:
                service.create_group(session, group_key, group_name, key)
            lines.append(f"organisatie {key}")
        for username, name, org, roles, groups in USERS:
            try:
                service.user(session, username)
                continue
            except Exception:  # noqa: BLE001 - NotFound: create it
                pass
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
    if lines:
        lines.append(f"demogebruikers loggen in met wachtwoord {DEMO_PASSWORD}")
    return lines

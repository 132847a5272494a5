"""Demo data for Hollands Kroon: vroegsignalering by all fixed-cost partners.

First its organisations and people (ORGANISATIONS, PEOPLE). Binds the
debt-services team to party `sdv`, gives every fixed-cost partner (housing corporations,
health insurer, water and energy company) an intake route, and sends signals through the real
intake so that the cases, their signals and the partner feedback look as in production. Six
cases in different states; everything is fictional. Idempotent: existing bindings, routes and
demo signals are left alone.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from app import clock
from app.auth.models import Organisation
from app.auth.principal import partner_system
from app.cases.service import bind_party
from app.config import Settings
from app.db import Database
from app.demo_data.common import Organisation_, Person, load_people
from app.engine import service
from app.engine.errors import NotFound
from app.engine.models import HumanTask, TaskStatus
from app.intake.models import Signal
from app.intake.service import ensure_route, prepare, receive
from app.tasks.service import complete_for_installation

PROCESS = "hollands_kroon_vroegsignalering"

# The organisations and people of this demo (made by app/demo_data/common.py load_people).
ORGANISATIONS: list[Organisation_] = [
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
    ("hk-wijkteam", "Wijkteam Hollands Kroon", "wijkteam", "hollands-kroon", []),
]
PEOPLE: list[Person] = [
    ("wooncompagnie.jan", "Jan Schouten", "wooncompagnie", ("behandelaar",), None),
    ("hk.sdv.mira", "Mira Dekker", "hk-schulddienstverlening", ("behandelaar",), None),
    ("hk.wijkteam.sara", "Sara Bakker", "hk-wijkteam", ("behandelaar",), None),
]
MUNICIPALITY = "hollands-kroon"
SDV_TEAM = "hk-schulddienstverlening"
WIJKTEAM = "hk-wijkteam"
PARTNERS = ("wooncompagnie", "beter-wonen", "zorgverzekeraar-nh", "waterbedrijf-nh", "energie-nh")
ACTOR = "demo"


def _address(street: str, number: str, postcode: str, town: str) -> dict[str, str]:
    return {"straat": street, "huisnummer": number, "postcode": postcode, "woonplaats": town}


# (partner, signal, steps): each step completes the case's open task with this data.
CASES: list[tuple[str, dict[str, Any], list[dict[str, Any]]]] = [
    # 1. New this month: rent and water arrears of one household, one case, to be judged.
    (
        "wooncompagnie",
        {
            "referentie": "WC-DEMO-001",
            "soort_vaste_lasten": "Huur",
            "naam": "E. Dekker",
            "telefoon": "0612000001",
            "achterstand_bedrag": "1310,00",
            **_address("Kanaalweg", "12", "1761 AB", "Anna Paulowna"),
        },
        [],
    ),
    (
        "waterbedrijf-nh",
        {
            "referentie": "WB-DEMO-001",
            "soort_vaste_lasten": "Water",
            "naam": "E. Dekker",
            "achterstand_bedrag": "92,40",
            **_address("Kanaalweg", "12", "1761 AB", "Anna Paulowna"),
        },
        [],
    ),
    # 2. Picked up; a letter did not reach the resident: the next attempt is planned.
    (
        "zorgverzekeraar-nh",
        {
            "referentie": "ZV-DEMO-002",
            "soort_vaste_lasten": "Zorg",
            "naam": "F. de Wit",
            "email": "f.dewit@example.nl",
            "achterstand_bedrag": "455,00",
            **_address("Dorpsstraat", "4", "1771 AC", "Wieringerwerf"),
        },
        [
            {"signaal_status": "Opgepakt"},
            {
                "contact_soort": "Brief",
                "contact_dagdeel": "Ochtend",
                "contact_bereikt": False,
            },
        ],
    ),
    # 3. Reached at a home visit; the personal conversation is still to be recorded.
    (
        "energie-nh",
        {
            "referentie": "EN-DEMO-003",
            "soort_vaste_lasten": "Energie",
            "naam": "G. Mulder",
            "telefoon": "0612000003",
            "achterstand_bedrag": "287,15",
            **_address("Zuiderweg", "40", "1774 AD", "Slootdorp"),
        },
        [
            {"signaal_status": "Opgepakt"},
            {
                "contact_soort": "Huisbezoek",
                "contact_dagdeel": "Middag",
                "contact_bereikt": True,
                "reactie_inwoner": "Wil een persoonlijk gesprek",
            },
        ],
    ),
    # 4. Reached by phone, wants no help: no file, only the refusal (passed to the corporation).
    (
        "beter-wonen",
        {
            "referentie": "BW-DEMO-004",
            "soort_vaste_lasten": "Huur",
            "naam": "H. Jonker",
            "telefoon": "0612000004",
            "achterstand_bedrag": "990,00",
            **_address("Middenweg", "3", "1761 BC", "Anna Paulowna"),
        },
        [
            {"signaal_status": "Opgepakt"},
            {
                "contact_soort": "Telefoon",
                "contact_dagdeel": "Ochtend",
                "contact_bereikt": True,
                "reactie_inwoner": "Wil geen hulp",
            },
        ],
    ),
    # 5. Consent form signed at the wijkteam's home visit: to be registered with the regular
    #    SDV, and the wijkteam offers other help afterwards.
    (
        "wooncompagnie",
        {
            "referentie": "WC-DEMO-005",
            "soort_vaste_lasten": "Huur",
            "naam": "I. Schouten",
            "telefoon": "0612000005",
            "achterstand_bedrag": "1875,00",
            **_address("Havenstraat", "7", "1779 AA", "Den Oever"),
        },
        [
            {"signaal_status": "Opgepakt"},
            {
                "contact_soort": "Huisbezoek",
                "contact_dagdeel": "Ochtend",
                "contact_bereikt": True,
                "reactie_inwoner": "Wil een persoonlijk gesprek",
            },
            {
                "toestemming_hulp": True,
                "bewijs_toestemming_hulp": "TF-DEMO-005",
                "andere_hulp_nodig": True,
                "andere_hulp_vraag": "Hulp bij de administratie",
            },
        ],
    ),
    # 6. Not picked up for another reason: the corporation learns only that.
    (
        "beter-wonen",
        {
            "referentie": "BW-DEMO-006",
            "soort_vaste_lasten": "Huur",
            "naam": "J. Vos",
            "achterstand_bedrag": "640,00",
            **_address("Molenweg", "21", "1775 BD", "Middenmeer"),
        },
        [
            {
                "signaal_status": "Niet opgepakt: andere reden",
                "reden_niet_opgepakt": "Huur is inmiddels betaald volgens de inwoner",
            }
        ],
    ),
    # 7. Rent arrears, reached by phone: the wijkteam's home visit is open.
    (
        "beter-wonen",
        {
            "referentie": "BW-DEMO-007",
            "soort_vaste_lasten": "Huur",
            "naam": "F. Yilmaz",
            "telefoon": "0612000007",
            "achterstand_bedrag": "1120,00",
            **_address("Kerkweg", "15", "1777 AB", "Hippolytushoef"),
        },
        [
            {"signaal_status": "Opgepakt"},
            {
                "contact_soort": "Telefoon",
                "contact_dagdeel": "Middag",
                "contact_bereikt": True,
                "reactie_inwoner": "Wil een persoonlijk gesprek",
            },
        ],
    ),
]
DATE_FIELDS = {
    "contactpoging": "contact_datum",
    "persoonlijk_gesprek": "gesprek_datum",
    "huisbezoek_wijkteam": "gesprek_datum",
}


def load(db: Database, settings: Settings) -> list[str]:
    lines = load_people(db, ORGANISATIONS, PEOPLE)
    with db.transaction() as session:
        try:
            service.latest_version(session, PROCESS)
        except NotFound:
            return lines + [f"{PROCESS}: niet gedeployed, geen demogegevens voor Hollands Kroon"]
        orgs: dict[str, int] = dict(
            session.execute(
                select(Organisation.key, Organisation.id).where(
                    Organisation.key.in_([*PARTNERS, SDV_TEAM, WIJKTEAM])
                )
            ).all()
        )
        missing = [key for key in (*PARTNERS, SDV_TEAM, WIJKTEAM) if key not in orgs]
        if missing:
            return lines + [
                f"{PROCESS}: organisaties ontbreken ({', '.join(missing)}); eerst common"
            ]
        for party, team in (("sdv", SDV_TEAM), ("wijkteam", WIJKTEAM)):
            if bind_party(session, PROCESS, MUNICIPALITY, party, team):
                lines.append(f"partijbinding {PROCESS}: {party} -> {team}")
        for key in PARTNERS:
            if ensure_route(session, orgs[key], MUNICIPALITY, PROCESS):
                lines.append(f"meldroute {key} -> {PROCESS}")
    for partner_key, values, steps in CASES:
        org_id = orgs[partner_key]
        with db.transaction() as session:
            known = session.scalar(
                select(Signal.id).where(
                    Signal.organisation_id == org_id, Signal.reference == values["referentie"]
                )
            )
            if known:
                continue
            principal = partner_system(org_id, partner_key, MUNICIPALITY)
            intake = prepare(session, principal, settings.secret_key, MUNICIPALITY)
            [result] = receive(session, intake, [(1, values)], "api")
        if result.instance_id is None:
            lines.append(f"signaal {values['referentie']}: {result.status}")
            continue
        for data in steps:
            _complete_open_task(db, result.instance_id, data)
        lines.append(f"casus Hollands Kroon: signaal {values['referentie']} ({result.status})")
    return lines


def _complete_open_task(db: Database, instance_id: str, data: dict[str, Any]) -> None:
    today = clock.local(clock.now()).date().isoformat()
    with db.transaction() as session:
        task = session.scalars(
            select(HumanTask).where(
                HumanTask.instance_id == instance_id, HumanTask.status == TaskStatus.OPEN.value
            )
        ).one()
        values = dict(data)
        if task.element_id in DATE_FIELDS:
            values.setdefault(DATE_FIELDS[task.element_id], today)
        complete_for_installation(session, task.id, values, ACTOR)

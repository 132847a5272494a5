"""Demo data for Diemen's work process (Bijlage 3): party bindings, Eigen Haard's route to
the central reporting point, and cases in several states.

First its organisations and people (ORGANISATIONS, PEOPLE; `load_people`), after the
diagrams are deployed. Idempotent: bindings and the route are made once, and the cases are reported
only if Eigen Haard's demo references are not in the signal store yet.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from app import clock
from app.auth.models import Organisation
from app.auth.principal import partner_system
from app.cases.service import bind_party
from app.config import Settings
from app.db import Database
from app.demo_data.common import Organisation_, Person, load_people
from app.engine import service as engine
from app.engine.models import HumanTask, ProcessDefinition, ProcessInstance, TaskStatus
from app.intake.models import Signal
from app.intake.service import ensure_route, prepare, receive
from app.tasks.service import complete_for_installation

PROCESS = "diemen_werkproces"

# The organisations and people of this demo (made by app/demo_data/common.py load_people).
ORGANISATIONS: list[Organisation_] = [
    ("eigen-haard", "Eigen Haard", "woningcorporatie", "diemen", []),
    ("diemen-uitvoerder", "Uitvoerder schuldhulp Diemen", "uitvoerder", "diemen", []),
    ("diemen-gemeente", "Gemeente Diemen", "gemeente", "diemen", []),
    ("plangroep", "Plangroep", "budgetbeheer", "diemen", []),
    ("humanitas-diemen", "Humanitas Diemen", "vrijwilligers", "diemen", []),
]
PEOPLE: list[Person] = [
    ("eigenhaard.tom", "Tom Kok", "eigen-haard", ("behandelaar",), None),
    ("uitvoerder.lisa", "Lisa Vermeer", "diemen-uitvoerder", ("behandelaar",), None),
    ("diemen.gemeente", "Gert Diemen", "diemen-gemeente", ("behandelaar",), None),
    ("plangroep.piet", "Piet Plan", "plangroep", ("behandelaar",), None),
    ("humanitas.hanna", "Hanna de Wit", "humanitas-diemen", ("behandelaar",), None),
]
MUNICIPALITY = "diemen"
PARTNER = "eigen-haard"
BINDINGS = {
    "uitvoerder": "diemen-uitvoerder",
    "gemeente": "diemen-gemeente",
    "plangroep": "plangroep",
    "vrijwilligers": "humanitas-diemen",
}
REFERENCE_PATTERN = r"EH-[0-9]{4}-[0-9]{6}"
ACTOR = "system:demo"


def _signal(
    reference: str, name: str, street: str, number: str, postcode: str, **rest: Any
) -> dict[str, Any]:
    return {
        "referentie": reference,
        "naam": name,
        "straat": street,
        "huisnummer": number,
        "postcode": postcode,
        "woonplaats": "Diemen",
        **rest,
    }


def _consent(field: str, evidence: str) -> dict[str, Any]:
    return {field: True, f"bewijs_{field}": evidence}


NO_SETTLEMENT = ("schuldregeling_onderzoeken", {"schuldregeling_mogelijk": False})
# A step that is a message from the partner instead of a task: "bericht:<name>".
MESSAGE = "bericht:"

Steps = list[tuple[str, dict[str, Any]]]


def _cases(today: str) -> list[tuple[dict[str, Any], Steps, str]]:
    """(signal, [(task, data), ...] completed in order by the demo, the state it leaves)."""
    return [
        (
            _signal(
                "EH-2026-000901",
                "R. Visser",
                "Ouddiemerlaan",
                "210",
                "1111 AB",
                geboortedatum="1990-04-17",
                huur="698,00",
                huurachterstand="1396,00",
                minderjarige_kinderen="0",
            ),
            [],
            "nieuwe melding: de Uitvoerder onderzoekt een schuldregeling",
        ),
        (
            _signal(
                "EH-2026-000902",
                "S. el Idrissi",
                "Arent Krijtsstraat",
                "18",
                "1111 AJ",
                geboortedatum="1983-09-02",
                huur="805,40",
                huurachterstand="2416,20",
                minderjarige_kinderen="2",
            ),
            [
                NO_SETTLEMENT,
                (
                    "mogelijkheden_onderzoeken",
                    {
                        "zelfstandig_mogelijk": True,
                        "netwerk_mogelijk": True,
                        "vrijwilligers_mogelijk": False,
                    },
                ),
                (
                    "toestemming_zelfstandig_vragen",
                    {
                        "voorstel_aanpak": (
                            "Huur weer zelf betalen per automatische incasso op de 1e; "
                            "achterstand in tien termijnen"
                        ),
                        **_consent("toestemming_zelfstandig", "TF-2026-0901"),
                    },
                ),
            ],
            "schriftelijke toestemming gegeven: Eigen Haard stemt de aanpak af",
        ),
        (
            _signal(
                "EH-2026-000903",
                "M. de Boer",
                "Wildenborch",
                "31",
                "1112 XB",
                geboortedatum="1962-12-08",
                huur="742,10",
                huurachterstand="2226,30",
                minderjarige_kinderen="0",
            ),
            [
                NO_SETTLEMENT,
                (
                    "mogelijkheden_onderzoeken",
                    {
                        "zelfstandig_mogelijk": False,
                        "netwerk_mogelijk": False,
                        "vrijwilligers_mogelijk": False,
                    },
                ),
                ("inkomen_vaststellen", {"inkomen": "Ander inkomen"}),
                (
                    "toestemming_budgetbeheer_vragen",
                    {
                        "motivering_budgetbeheer": "Geen netwerk; vrijwillige hulp niet passend",
                        **_consent("toestemming_budgetbeheer", "TF-2026-0903"),
                    },
                ),
            ],
            "budgetbeheer bij Plangroep: wacht op goedkeuring van de gemeente",
        ),
        (
            _signal(
                "EH-2026-000904",
                "K. Osei",
                "Kruidenhof",
                "52",
                "1111 KX",
                geboortedatum="1995-01-21",
                huur="689,90",
                huurachterstand="1379,80",
                minderjarige_kinderen="1",
            ),
            [
                NO_SETTLEMENT,
                (
                    "mogelijkheden_onderzoeken",
                    {
                        "zelfstandig_mogelijk": False,
                        "netwerk_mogelijk": False,
                        "vrijwilligers_mogelijk": True,
                    },
                ),
                (
                    "toestemming_vrijwilligers_vragen",
                    {
                        "voorstel_aanpak": "Maandelijkse ondersteuning door een vrijwilliger van "
                        "Humanitas bij het budget",
                        **_consent("toestemming_vrijwilligers", "TF-2026-0904"),
                    },
                ),
                (
                    "afstemmen_vrijwilligers",
                    {"akkoord_partner": True, "toelichting_partner": "Geen eerdere regelingen"},
                ),
                ("besluiten_vrijwilligers", {"aanpak_doorzetten": True}),
                (
                    "doorgeleiden_vrijwilliger",
                    {
                        "datum_doorverwijzing": today,
                        "kenmerk_doorverwijzing": "HUM-2026-0009",
                        "eindresultaat": "Vervolghulp en/of verwijzing",
                    },
                ),
            ],
            "doorgeleid naar Humanitas: de vrijwilliger start de ondersteuning",
        ),
        (
            _signal(
                "EH-2026-000905",
                "L. Pranoto",
                "Prinses Irenelaan",
                "9",
                "1111 GV",
                geboortedatum="1988-05-30",
                huur="716,00",
                huurachterstand="2864,00",
                minderjarige_kinderen="3",
            ),
            [
                NO_SETTLEMENT,
                (
                    "mogelijkheden_onderzoeken",
                    {
                        "zelfstandig_mogelijk": False,
                        "netwerk_mogelijk": False,
                        "vrijwilligers_mogelijk": False,
                    },
                ),
                ("inkomen_vaststellen", {"inkomen": "Pw"}),
                ("toestemming_uitkering_vragen", {"toestemming_huur_via_uitkering": False}),
                (
                    "uitzetting_beoordelen",
                    {
                        "uitzetting_dreigt": True,
                        "gezin_met_minderjarigen": True,
                        "eindresultaat": "Niet opgepakt: andere reden",
                    },
                ),
                (
                    "zorgmelding_doen",
                    {
                        "datum_zorgmelding": today,
                        "kenmerk_zorgmelding": "ZM-2026-0007",
                        "zorgmelding_toelichting": "Gezin met drie kinderen; "
                        "dagvaarding aangekondigd",
                    },
                ),
            ],
            "zorgmelding gedaan: de Uitvoerder informeert de huurder",
        ),
        (
            _signal(
                "EH-2026-000906",
                "T. Smit",
                "Burgemeester Bickerstraat",
                "77",
                "1111 BC",
                geboortedatum="1976-10-11",
                huur="655,00",
                huurachterstand="1310,00",
            ),
            [
                ("schuldregeling_onderzoeken", {"schuldregeling_mogelijk": True}),
                (
                    "schuldregeling_treffen",
                    {
                        "kenmerk_schuldregeling": "SR-2026-0042",
                        "eindresultaat": "Vervolghulp en/of verwijzing financieel",
                    },
                ),
            ],
            "afgesloten: schuldregeling, de huurder betaalt de huur weer zelf",
        ),
        (
            _signal(
                "EH-2026-000907",
                "N. Haddou",
                "Ouddiemerlaan",
                "77",
                "1111 AC",
                geboortedatum="1986-03-14",
                huur="731,20",
                huurachterstand="2193,60",
                minderjarige_kinderen="2",
            ),
            [
                NO_SETTLEMENT,
                (
                    "mogelijkheden_onderzoeken",
                    {
                        "zelfstandig_mogelijk": False,
                        "netwerk_mogelijk": True,
                        "vrijwilligers_mogelijk": True,
                    },
                ),
                (
                    "toestemming_netwerk_vragen",
                    {
                        "voorstel_aanpak": "Broer betaalt drie maanden de huur voor; daarna "
                        "automatische incasso",
                        **_consent("toestemming_eigen_netwerk", "TF-2026-0907"),
                    },
                ),
                # Eigen Haard reports that eviction threatens while it coordinates the rung.
                (MESSAGE + "uitzetting_dreigt", {}),
            ],
            "uitzetting dreigt tijdens de afstemming: zorgmelding naast de ladder",
        ),
    ]


def load(db: Database, settings: Settings) -> list[str]:
    lines = load_people(db, ORGANISATIONS, PEOPLE)
    cases = _cases(clock.local(clock.now()).date().isoformat())
    with db.transaction() as session:
        if not _deployed(session):
            return lines + [f"{PROCESS}: niet gedeployed; geen demogegevens voor Diemen"]
        partner = session.scalar(select(Organisation).where(Organisation.key == PARTNER))
        if partner is None:
            return lines + [
                f"{PROCESS}: organisatie {PARTNER} ontbreekt (eerst de gewone demo laden)"
            ]
        lines += _bindings(session)
        lines += _route(session, partner.id)
        done = set(
            session.scalars(
                select(Signal.reference).where(
                    Signal.organisation_id == partner.id,
                    Signal.reference.in_([s["referentie"] for s, _steps, _d in cases]),
                )
            )
        )
    principal = partner_system(partner.id, PARTNER, MUNICIPALITY)
    for signal, steps, description in cases:
        if signal["referentie"] in done:
            continue
        with db.transaction() as session:
            intake = prepare(session, principal, settings.secret_key, MUNICIPALITY)
            result = receive(session, intake, [(1, signal)], "demo")[0]
            if result.instance_id is None:
                lines.append(f"{PROCESS}: melding {signal['referentie']} {result.status}")
                continue
            key = session.get(ProcessInstance, result.instance_id).business_key
            for element, data in steps:
                if element.startswith(MESSAGE):
                    engine.deliver_message(session, element[len(MESSAGE) :], key, data, ACTOR)
                else:
                    _complete(session, result.instance_id, element, data)
        lines.append(f"{PROCESS}: casus {key} ({signal['referentie']}): {description}")
    return lines


def _deployed(session: Session) -> bool:
    return (
        session.scalar(select(ProcessDefinition.id).where(ProcessDefinition.key == PROCESS))
        is not None
    )


def _bindings(session: Session) -> list[str]:
    return [
        f"{PROCESS}: partij {party} is team {group}"
        for party, group in BINDINGS.items()
        if bind_party(session, PROCESS, MUNICIPALITY, party, group)
    ]


def _route(session: Session, organisation_id: int) -> list[str]:
    if not ensure_route(session, organisation_id, MUNICIPALITY, PROCESS, REFERENCE_PATTERN):
        return []
    return [f"{PROCESS}: meldroute {PARTNER} -> centraal meldpunt Diemen"]


def _complete(session: Session, instance_id: str, element: str, data: dict[str, Any]) -> None:
    task = session.scalar(
        select(HumanTask).where(
            HumanTask.instance_id == instance_id,
            HumanTask.element_id == element,
            HumanTask.status == TaskStatus.OPEN.value,
        )
    )
    if task is None:
        raise RuntimeError(f"demo Diemen: geen open taak {element!r}")
    complete_for_installation(session, task.id, data, ACTOR)

"""Demo of Haarlem's Convenant Preventie huisuitzettingen (process `haarlem_preventie`).

First its organisations and people (ORGANISATIONS, PEOPLE: Elan Wonen, Pré Wonen, Ymere, the
Sociaal Wijkteam with its team lead group, the debt services and the troubleshooter, and
their users). Then the loader binds the municipality's teams
to the parties of the process, gives the three corporations an intake route, and reports
fourteen tenants through the real intake.

The cases are told as a history of the last nine weeks, replayed on a virtual clock that stops
at the real "now": corporations register arrears and contact the tenant, the timer two weeks
before the bailiff makes the report due, the BRP/STAPP/SDV look-ups run (the team has a
waiting list over its capacity, bijlage 2 §4), the Sociaal Wijkteam
contacts (or escalates), the debt services propose, and eviction dates become known. Only this
loader's own timers and jobs are run, so other demo data is left alone; whatever lies in the
future stays open, so each case's state fits today's date: new registrations, a report due
today, the team's inbox ordered by waiting-list priority, an escalation at the team lead, a
proposal at the debt services, an amicable settlement running, the troubleshooter's task, and
finished cases that feed the art. 9.5 figures (`app.processes.haarlem.statistics`).

The tenants are FICTIONAL test people of the embedded registers. Idempotent: users, bindings
and routes are made once, and a case is only reported when its demo reference is not in the
signal store yet.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app import clock
from app.auth.models import Group, Organisation
from app.auth.principal import partner_system
from app.calendar.atw import Calendar, default_calendar
from app.cases import settings as process_settings
from app.cases.models import ProcessSetting
from app.cases.service import bind_party
from app.clock import AMSTERDAM, VirtualClock
from app.config import Settings
from app.db import Database
from app.demo_data.common import Organisation_, Person, load_people
from app.demo_data.replay import fire_due_timers, run_pending_jobs
from app.engine import service as engine
from app.engine.errors import NotFound
from app.engine.models import (
    HumanTask,
    ProcessInstance,
    TaskStatus,
    Timer,
    WaitStatus,
)
from app.engine.runtime import version_catalogue
from app.intake.models import Signal
from app.intake.service import ensure_route, prepare, receive
from app.tasks.service import complete_for_installation

PROCESS = "haarlem_preventie"

# The organisations and people of this demo (made by app/demo_data/common.py load_people).
ORGANISATIONS: list[Organisation_] = [
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
]
PEOPLE: list[Person] = [
    ("ymere.anna", "Anna de Vries", "ymere", ("behandelaar",), None),
    ("elan.bram", "Bram Koster", "elan-wonen", ("behandelaar",), None),
    ("prewonen.fleur", "Fleur de Jong", "pre-wonen", ("behandelaar",), None),
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
]
MUNICIPALITY = "haarlem"
CORPORATIONS = ("elan-wonen", "pre-wonen", "ymere")
BINDINGS = {
    "wijkteam": "haarlem-swt",
    "wijkteam_leiding": "haarlem-swt-leiding",
    "sdv": "haarlem-sdv",
    "troubleshooter": "haarlem-troubleshooter",
}
WORKER = "demo-haarlem"
ACTOR = "demo"
WAITING_LIST = "wachtlijst_boven_capaciteit"

# What the corporations know of their tenants (bijlage 2 §1), for test people of the register.
TENANTS: dict[str, dict[str, Any]] = {
    "el_amrani": {  # A03: young couple
        "naam": "Y. El Amrani",
        "geboortedatum": "1997-02-11",
        "straat": "Hoogstraat",
        "huisnummer": "3",
        "postcode": "9999 XB",
        "aantal_bewoners": 2,
    },
    "jansen": {  # A01: two minors at home
        "naam": "P.J. Jansen",
        "geboortedatum": "1981-04-12",
        "straat": "Fluitekruidlaan",
        "huisnummer": "12",
        "postcode": "9999 XA",
        "aantal_bewoners": 5,
    },
    "mulder": {  # A07: living alone, 61
        "naam": "G. Mulder",
        "geboortedatum": "1964-06-30",
        "straat": "Merelweg",
        "huisnummer": "5",
        "postcode": "9999 XF",
        "aantal_bewoners": 1,
    },
    "hoekstra": {  # A15: father with a son of 15; known to STAPP and the debt services
        "naam": "D. Hoekstra",
        "geboortedatum": "1984-12-12",
        "straat": "Tulpstraat",
        "huisnummer": "6",
        "postcode": "9999 XP",
        "aantal_bewoners": 2,
    },
    "tesfamariam": {  # A05: residence permit (asylum), three minors
        "naam": "H. Tesfamariam",
        "geboortedatum": "1992-03-15",
        "straat": "Lindelaan",
        "huisnummer": "41",
        "toevoeging": "2",
        "postcode": "9999 XE",
        "aantal_bewoners": 5,
    },
    "de_wit": {  # A13: nobody registered at the address
        "naam": "K. de Wit",
        "geboortedatum": "1970-01-01",
        "straat": "Wilgenpad",
        "huisnummer": "14",
        "postcode": "9999 XM",
        "aantal_bewoners": 1,
    },
    "bakker": {  # A02: living alone, 67
        "naam": "H. Bakker",
        "geboortedatum": "1958-08-21",
        "straat": "Hoogstraat",
        "huisnummer": "3",
        "toevoeging": "B",
        "postcode": "9999 XB",
        "aantal_bewoners": 1,
    },
    "haddou": {  # A04: single mother, two minors, known to the Sociaal Wijkteam
        "naam": "S. Haddou",
        "geboortedatum": "1990-05-14",
        "straat": "Kievitstraat",
        "huisnummer": "8",
        "postcode": "9999 XC",
        "aantal_bewoners": 3,
    },
    "groot": {  # A06: living alone, a running debt trajectory
        "naam": "M. Groot",
        "geboortedatum": "1979-02-28",
        "straat": "Lindelaan",
        "huisnummer": "41",
        "toevoeging": "1",
        "postcode": "9999 XE",
        "aantal_bewoners": 1,
    },
    "de_boer": {  # A11: grandmother of 70 with daughter and grandson; known to STAPP
        "naam": "W. de Boer",
        "geboortedatum": "1955-12-24",
        "straat": "Esdoornstraat",
        "huisnummer": "9",
        "postcode": "9999 XK",
        "aantal_bewoners": 3,
    },
    "smit": {  # A08: couple, he is 65
        "naam": "J. Smit",
        "geboortedatum": "1960-11-11",
        "straat": "Zwanensingel",
        "huisnummer": "22",
        "postcode": "9999 XG",
        "aantal_bewoners": 2,
    },
    "rahimi": {  # A12: status holder living alone; the BRP knows only the birth month
        "naam": "A. Rahimi",
        "geboortedatum": "1990-07-01",
        "straat": "Populierenlaan",
        "huisnummer": "2",
        "postcode": "9999 XL",
        "aantal_bewoners": 1,
    },
    "verbeek": {  # Wilgenpad 16: not in the register (moved out)
        "naam": "R. Verbeek",
        "geboortedatum": "1975-09-19",
        "straat": "Wilgenpad",
        "huisnummer": "16",
        "postcode": "9999 XM",
        "aantal_bewoners": 1,
    },
    "van_dijk": {  # A09: self-employed, partner and two children
        "naam": "T. van Dijk",
        "geboortedatum": "1986-10-03",
        "straat": "Berkenhof",
        "huisnummer": "17",
        "postcode": "9999 XH",
        "aantal_bewoners": 4,
    },
}

Data = dict[str, Any]


def _informed(bailiff: date | None, **extra: Any) -> Data:
    """The corporation contacted the tenant about arrears only (art. 3.1)."""
    data: Data = {
        "contact_wijze_corporatie": "brief",
        "huurder_geinformeerd": True,
        "inschatting_corporatie": "alleen_huurachterstand",
    }
    if bailiff is not None:
        data["deurwaarderdatum"] = bailiff.isoformat()
    return {**data, **extra}


def _early(signals: str, bailiff: date | None = None) -> Data:
    """The tenant consents to an early report: with a bailiff date, arrears and more going on
    (art. 3.2); without one, no arrears but complex problems (art. 3.3)."""
    data: Data = {
        "contact_wijze_corporatie": "huisbezoek",
        "huurder_geinformeerd": True,
        "inschatting_corporatie": (
            "meer_dan_huurachterstand" if bailiff else "complex_zonder_achterstand"
        ),
        "signalen_corporatie": signals,
        "toestemming_melding": True,
    }
    if bailiff is not None:
        data["deurwaarderdatum"] = bailiff.isoformat()
    return data


def _contact(day: date, taken_up: bool = True, **extra: Any) -> Data:
    """The Sociaal Wijkteam's contact and feedback (art. 3.5, 3.7; bijlage 2 §6)."""
    data: Data = {
        "contact_gelegd": True,
        "datum_contact": day.isoformat(),
        "wijze_contact": "telefonisch",
        "alleen_huurschuld": True,
        "toestemming_overdracht": False,
        "toestemming_inhoud_delen": False,
    }
    if taken_up:
        data.update(
            in_behandeling="ja",
            eindresultaat="Vervolghulp en/of verwijzing financieel",
            incasso_hervatten=False,
            datum_hervatting_betaling=(day + timedelta(days=14)).isoformat(),
        )
    return {**data, **extra}


NOT_TAKEN_UP = {
    "in_behandeling": "nee",
    "reden_niet_in_behandeling": "wil_geen_hulp",
    "eindresultaat": "Inwoner regelt het zelf/hoeft geen hulp vanuit vroegsignalering",
    "incasso_hervatten": True,
}
# Art. 2.3b: a case that stalls towards an eviction goes to the troubleshooter first.
NO_MEDIATION = {
    "uitkomst_troubleshooter": "geen_regeling",
    "afspraken_troubleshooter": "Geen afspraken mogelijk; de corporatie zet de procedure voort",
}
NO_CONTACT = {
    "contact_gelegd": False,
    "wijze_contact": "aanbellen",
    "in_behandeling": "nee",
    "reden_niet_in_behandeling": "geen_contact",
    "eindresultaat": "Definitief geen contact kunnen krijgen",
    "incasso_hervatten": True,
}


def _proposal(outcome: str, resume: date, **extra: Any) -> Data:
    data: Data = {
        "inventarisatie_schulden": "Huurachterstand en energie; inkomen uit loon",
        "uitkomst_voorstel": outcome,
        "datum_hervatting_lopende_huur": resume.isoformat(),
    }
    if outcome == "regeling":
        data.update(aflossing_per_maand=75.0, datum_start_aflossing=resume.isoformat())
    return {**data, **extra}


@dataclass
class _Case:
    """One tenant: who reports, and the steps (day, hour, kind, element, data); kind is
    "melden" (the intake), "taak" (complete the open task `element`) or "bericht" (message)."""

    reference: str
    corporation: str
    tenant: str
    description: str
    steps: list[tuple[date, int, str, str, Data]] = field(default_factory=list)
    extra: Data = field(default_factory=dict)


def _cases(cal: Calendar, today: date) -> list[_Case]:
    def wd(n: int) -> date:
        """n working days before today (0: today, or the last working day before it)."""
        return cal.add_working_days(today, -n) if n else cal.working_day_on_or_before(today)

    def bailiff_for(report: date) -> date:
        """The bailiff date that makes the report due on `report` (2 weeks before)."""
        return report + timedelta(days=14)

    def case(
        reference: str, corporation: str, tenant: str, description: str, **extra: Any
    ) -> _Case:
        return _Case(reference, corporation, tenant, description, extra=extra)

    def at(c: _Case, n: int, hour: int, kind: str, element: str, data: Data | None = None) -> None:
        c.steps.append((wd(n), hour, kind, element, data or {}))

    cases = []
    # 1. Registered yesterday: Ymere contacts the tenant.
    c = case("YM-DEMO-0101", "ymere", "el_amrani", "geregistreerd: Ymere benadert de huurder")
    at(c, 1, 10, "melden", "")
    cases.append(c)

    # 2. Tenant informed; the bailiff date moved, and the report deadline with it.
    c = case(
        "ELAN-DEMO-0102",
        "elan-wonen",
        "jansen",
        "huurder benaderd; deurwaarderdatum verschoven, melden twee weken ervoor",
    )
    at(c, 8, 9, "melden", "")
    at(c, 7, 11, "taak", "huurder_benaderen", _informed(today + timedelta(days=28)))
    at(
        c,
        3,
        14,
        "bericht",
        "deurwaarderdatum_gewijzigd",
        {"deurwaarderdatum": (today + timedelta(days=49)).isoformat()},
    )
    cases.append(c)

    # 3. The bailiff comes in two weeks: the report to the Sociaal Wijkteam is due today.
    c = case(
        "PRE-DEMO-0103",
        "pre-wonen",
        "mulder",
        "deurwaarder over twee weken: melden is nu aan de beurt",
    )
    at(c, 15, 10, "melden", "")
    at(c, 14, 11, "taak", "huurder_benaderen", _informed(today + timedelta(days=14)))
    cases.append(c)

    # 4-7. The Sociaal Wijkteam's inbox, ordered by waiting-list priority (art. 3.6).
    c = case(
        "ELAN-DEMO-0104",
        "elan-wonen",
        "hoekstra",
        "gemeld (art. 3.4): het wijkteam neemt binnen 5 werkdagen contact op (prioriteit 75)",
    )
    at(c, 25, 10, "melden", "")
    at(c, 24, 11, "taak", "huurder_benaderen", _informed(bailiff_for(wd(2))))
    at(c, 2, 10, "taak", "melden_bij_wijkteam", {"maanden_achterstand": 3})
    cases.append(c)

    c = case(
        "YM-DEMO-0105",
        "ymere",
        "tesfamariam",
        "vroege melding met toestemming (art. 3.3): terugkoppeling binnen 5 werkdagen",
        maanden_achterstand=0,
    )
    at(c, 4, 10, "melden", "")
    at(c, 3, 14, "taak", "huurder_benaderen", _early("Woning lijkt te klein; post stapelt op"))
    cases.append(c)

    c = case(
        "PRE-DEMO-0106",
        "pre-wonen",
        "bakker",
        "gemeld (art. 3.4): 67 jaar, prioriteit 70",
    )
    at(c, 20, 10, "melden", "")
    at(c, 19, 11, "taak", "huurder_benaderen", _informed(bailiff_for(wd(1))))
    at(c, 1, 11, "taak", "melden_bij_wijkteam", {"maanden_achterstand": 2})
    cases.append(c)

    c = case(
        "ELAN-DEMO-0107",
        "elan-wonen",
        "de_wit",
        "geen contact binnen 5 werkdagen: escalatie bij de teamleiding",
    )
    at(c, 30, 10, "melden", "")
    at(c, 29, 11, "taak", "huurder_benaderen", _informed(bailiff_for(wd(9))))
    at(c, 9, 10, "taak", "melden_bij_wijkteam", {"maanden_achterstand": 2})
    at(
        c,
        6,
        15,
        "taak",
        "contact_opnemen",
        _contact(
            wd(6),
            taken_up=False,
            contact_gelegd=False,
            wijze_contact="aankondigingsbrief",
            in_behandeling="nog_niet",
            incasso_hervatten=False,
        ),
    )
    cases.append(c)

    # 8. Taken up; collection suspended; the debt services owe a proposal within two weeks.
    c = case(
        "ELAN-DEMO-0108",
        "elan-wonen",
        "haddou",
        "in behandeling, incasso opgeschort: de SDV doet binnen twee weken een voorstel",
    )
    at(c, 7, 10, "melden", "")
    at(
        c,
        6,
        10,
        "taak",
        "huurder_benaderen",
        _early(
            "Buren melden overlast; huurder lijkt het overzicht kwijt", today + timedelta(days=42)
        ),
    )
    at(
        c,
        5,
        14,
        "taak",
        "contact_opnemen_vroeg",
        _contact(wd(5), alleen_huurschuld=False, regie_bij="Sociaal Wijkteam"),
    )
    at(c, 4, 9, "taak", "incasso_opschorten", {"incasso_opgeschort": True})
    cases.append(c)

    # 9. No arrangement possible: the amicable settlement runs (art. 7).
    c = case(
        "YM-DEMO-0109",
        "ymere",
        "groot",
        "geen regeling mogelijk: minnelijk traject loopt (max. 36 maanden)",
    )
    at(c, 41, 10, "melden", "")
    at(
        c,
        40,
        11,
        "taak",
        "huurder_benaderen",
        _early("Meerdere schuldeisers aan de deur", today + timedelta(days=90)),
    )
    at(c, 38, 10, "taak", "contact_opnemen_vroeg", _contact(wd(38), alleen_huurschuld=False))
    at(c, 38, 14, "taak", "incasso_opschorten", {"incasso_opgeschort": True})
    at(c, 33, 10, "taak", "voorstel_opstellen", _proposal("geen_regeling", wd(30)))
    at(
        c,
        30,
        10,
        "taak",
        "minnelijk_traject_starten",
        {"aanbod_percentage": 40, "looptijd_maanden": 36, "budgetbeheer_of_bewind": True},
    )
    at(c, 29, 10, "taak", "aanbod_beoordelen", {"akkoord_aanbod": True})
    cases.append(c)

    # 10. Reported, proposal, arrangement made and kept: eviction prevented (9.5.3c).
    c = case(
        "ELAN-DEMO-0110",
        "elan-wonen",
        "de_boer",
        "afgerond: betalingsregeling na de melding (huisuitzetting voorkomen)",
    )
    at(c, 43, 10, "melden", "")
    at(c, 42, 11, "taak", "huurder_benaderen", _informed(bailiff_for(wd(35))))
    at(c, 35, 10, "taak", "melden_bij_wijkteam", {"maanden_achterstand": 3})
    at(c, 33, 11, "taak", "contact_opnemen", _contact(wd(33)))
    at(c, 33, 15, "taak", "incasso_opschorten", {"incasso_opgeschort": True})
    at(c, 30, 11, "taak", "voorstel_opstellen", _proposal("regeling", wd(25)))
    at(
        c,
        28,
        10,
        "taak",
        "regeling_treffen",
        {"regeling_getroffen": True, "datum_regeling": wd(28).isoformat()},
    )
    # The arrangement runs (art. 3.9): a missed term, the corporation informs the team, the
    # agreements are restored; then the arrears are paid off.
    at(c, 15, 10, "bericht", "betaalafspraken_niet_nagekomen")
    at(c, 14, 11, "taak", "afspraken_opvolgen", {"vervolg_afspraken": "hersteld"})
    at(c, 5, 10, "bericht", "achterstand_opgelost")
    cases.append(c)

    # 11. A payment arrangement before any report (art. 3.4): nothing reaches the team.
    c = case("PRE-DEMO-0111", "pre-wonen", "smit", "afgerond: betalingsregeling voor de melding")
    at(c, 31, 10, "melden", "")
    at(c, 30, 11, "taak", "huurder_benaderen", _informed(today + timedelta(days=30)))
    at(c, 20, 10, "bericht", "betalingsregeling_getroffen")
    cases.append(c)

    # 12. Not taken up; the eviction date is known: the troubleshooter tries once more (art. 8).
    c = case(
        "YM-DEMO-0112",
        "ymere",
        "rahimi",
        "ontruimingsdatum bekend: de troubleshooter probeert nogmaals een regeling",
    )
    at(c, 33, 10, "melden", "")
    at(c, 32, 11, "taak", "huurder_benaderen", _informed(bailiff_for(wd(30))))
    at(c, 30, 10, "taak", "melden_bij_wijkteam", {"maanden_achterstand": 3})
    at(c, 28, 10, "taak", "contact_opnemen", _contact(wd(28), taken_up=False, **NOT_TAKEN_UP))
    at(c, 26, 10, "taak", "troubleshooter_bemiddelen", NO_MEDIATION)
    at(
        c,
        2,
        11,
        "bericht",
        "ontruimingsdatum_bekend",
        {"ontruimingsdatum": (today + timedelta(days=10)).isoformat()},
    )
    cases.append(c)

    # 13-14. Evictions after all: keys handed in, and one eviction (9.5.3a, 9.5.3b).
    c = case(
        "PRE-DEMO-0113",
        "pre-wonen",
        "van_dijk",
        "afgerond: ontruimd (reden: overlast)",
    )
    at(c, 46, 10, "melden", "")
    at(c, 45, 11, "taak", "huurder_benaderen", _informed(bailiff_for(wd(43))))
    at(c, 43, 10, "taak", "melden_bij_wijkteam", {"maanden_achterstand": 4})
    at(c, 40, 10, "taak", "contact_opnemen", _contact(wd(40), taken_up=False, **NOT_TAKEN_UP))
    at(c, 38, 10, "taak", "troubleshooter_bemiddelen", NO_MEDIATION)
    at(c, 20, 10, "bericht", "ontruimingsdatum_bekend", {"ontruimingsdatum": wd(10).isoformat()})
    at(
        c,
        15,
        10,
        "taak",
        "troubleshooter_actie",
        {
            "uitkomst_troubleshooter": "geen_regeling",
            "afspraken_troubleshooter": "Huurder wil geen afspraken maken",
        },
    )
    at(
        c,
        9,
        10,
        "taak",
        "ontruiming_vastleggen",
        {"afloop_ontruiming": "ontruimd", "reden_ontruiming": "overlast"},
    )
    cases.append(c)

    # A tenant who no longer lives at the address (the BRP finds nobody): no contact; keys
    # handed in after the eviction date became known.
    c = case("ELAN-DEMO-0114", "elan-wonen", "verbeek", "afgerond: sleutels vrijwillig ingeleverd")
    at(c, 46, 11, "melden", "")
    at(c, 45, 14, "taak", "huurder_benaderen", _informed(bailiff_for(wd(42))))
    at(c, 42, 10, "taak", "melden_bij_wijkteam", {"maanden_achterstand": 3})
    at(c, 39, 10, "taak", "contact_opnemen", _contact(wd(39), taken_up=False, **NO_CONTACT))
    at(c, 37, 10, "taak", "troubleshooter_bemiddelen", NO_MEDIATION)
    at(c, 18, 10, "bericht", "ontruimingsdatum_bekend", {"ontruimingsdatum": wd(8).isoformat()})
    at(
        c,
        12,
        10,
        "taak",
        "troubleshooter_actie",
        {
            "uitkomst_troubleshooter": "geen_regeling",
            "afspraken_troubleshooter": "Huurder verhuist naar familie",
        },
    )
    at(
        c,
        8,
        9,
        "taak",
        "ontruiming_vastleggen",
        {"afloop_ontruiming": "sleutels_ingeleverd", "reden_ontruiming": "huurschuld"},
    )
    cases.append(c)
    return cases


# -- loading --------------------------------------------------------------------------------------


def load(db: Database, settings: Settings) -> list[str]:
    lines = load_people(db, ORGANISATIONS, PEOPLE)
    with db.transaction() as session:
        try:
            engine.latest_version(session, PROCESS)
        except NotFound:
            return lines + [f"{PROCESS}: niet gedeployed, geen demogegevens voor Haarlem"]
        orgs = dict(
            session.execute(
                select(Organisation.key, Organisation.id).where(Organisation.key.in_(CORPORATIONS))
            ).all()
        )
        groups = set(session.scalars(select(Group.key).where(Group.key.in_(BINDINGS.values()))))
        missing = [k for k in CORPORATIONS if k not in orgs] + [
            g for g in BINDINGS.values() if g not in groups
        ]
        if missing:
            return lines + [f"{PROCESS}: ontbreekt ({', '.join(missing)}); laad eerst common"]
        lines += _bindings(session)
        lines += _routes(session, orgs)
        lines += _waiting_list(session)
        known = {
            (org_id, reference)
            for org_id, reference in session.execute(
                select(Signal.organisation_id, Signal.reference).where(
                    Signal.municipality == MUNICIPALITY
                )
            )
        }
    real = clock.get_clock()
    until = real.now()
    cases = [
        c
        for c in _cases(default_calendar(), clock.local(until).date())
        if (orgs[c.corporation], c.reference) not in known
    ]
    if not cases:
        return lines
    story = _Story(db, settings, orgs, until)
    virtual = VirtualClock(min(story.moment(day, hour) for c in cases for day, hour, *_ in c.steps))
    clock.set_clock(virtual)
    try:
        story.play(virtual, cases)
    finally:
        clock.set_clock(real)
    return lines + story.lines(cases)


def _bindings(session: Session) -> list[str]:
    return [
        f"partijbinding {PROCESS}: {party} -> {group_key}"
        for party, group_key in BINDINGS.items()
        if bind_party(session, PROCESS, MUNICIPALITY, party, group_key)
    ]


def _waiting_list(session: Session) -> list[str]:
    """The demo's Sociaal Wijkteam has more people waiting than it can take on, so it may
    prioritise with the BRP (bijlage 2 §4): set once, unless Haarlem already chose a value."""
    own = session.scalar(
        select(ProcessSetting.id).where(
            ProcessSetting.process_key == PROCESS,
            ProcessSetting.municipality == MUNICIPALITY,
            ProcessSetting.name == WAITING_LIST,
        )
    )
    if own is not None:
        return []
    version = engine.latest_version(session, PROCESS)
    process_settings.set_value(
        session,
        version_catalogue(session, version.id),
        PROCESS,
        MUNICIPALITY,
        WAITING_LIST,
        True,
        ACTOR,
    )
    return [f"instelling {PROCESS}: {WAITING_LIST} = ja ({MUNICIPALITY})"]


def _routes(session: Session, orgs: dict[str, int]) -> list[str]:
    return [
        f"meldroute {key} -> {PROCESS}"
        for key in CORPORATIONS
        if ensure_route(session, orgs[key], MUNICIPALITY, PROCESS)
    ]


@dataclass
class _Story:
    db: Database
    settings: Settings
    orgs: dict[str, int]
    until: datetime
    instances: dict[str, str] = field(default_factory=dict)  # reference -> instance id
    skipped: dict[str, str] = field(default_factory=dict)  # reference -> why

    @staticmethod
    def moment(day: date, hour: int) -> datetime:
        return datetime.combine(day, time(hour), AMSTERDAM)

    def play(self, virtual: VirtualClock, cases: list[_Case]) -> None:
        steps = sorted(
            (self.moment(day, hour), n, c, kind, element, data)
            for n, (c, (day, hour, kind, element, data)) in enumerate(
                (c, step) for c in cases for step in c.steps
            )
        )
        for at, _n, c, kind, element, data in steps:
            if at > self.until:
                break  # the future: what is open stays open
            self._advance(virtual, at)
            if c.reference in self.skipped:
                continue
            if kind == "melden":
                self._report(c)
            elif c.reference in self.instances:
                self._act(c, kind, element, data)
            run_pending_jobs(self.db, self.settings, self.instances.values(), WORKER)
        self._advance(virtual, self.until)

    # -- time: this loader's timers and jobs only -----------------------------------------------

    def _advance(self, virtual: VirtualClock, target: datetime) -> None:
        ids = list(self.instances.values())
        while ids:
            with self.db.session() as session:
                due = session.scalar(
                    select(func.min(Timer.due_at)).where(
                        Timer.instance_id.in_(ids), Timer.status == WaitStatus.WAITING.value
                    )
                )
            if due is None or due > target:
                break
            virtual.set(max(due, virtual.now()))
            fire_due_timers(self.db, ids)
            run_pending_jobs(self.db, self.settings, self.instances.values(), WORKER)
        if target > virtual.now():
            virtual.set(target)

    # -- actions --------------------------------------------------------------------------------

    def _report(self, c: _Case) -> None:
        """The corporation registers the arrears through the intake (bijlage 2 §1)."""
        signal = {
            "referentie": c.reference,
            "woonplaats": "Teststad",
            "telefoon": "0612345" + c.reference[-3:],
            "datum_achterstand": (clock.local(clock.now()).date() - timedelta(days=45))
            .replace(day=1)
            .isoformat(),
            "maanden_achterstand": 1,
            **TENANTS[c.tenant],
            **c.extra,
        }
        org_id = self.orgs[c.corporation]
        principal = partner_system(org_id, c.corporation, MUNICIPALITY)
        with self.db.transaction() as session:
            intake = prepare(session, principal, self.settings.secret_key, MUNICIPALITY)
            [result] = receive(session, intake, [(1, signal)], "api")
        if result.instance_id is None or result.status != "opgeslagen":
            self.skipped[c.reference] = result.status
        else:
            self.instances[c.reference] = result.instance_id

    def _act(self, c: _Case, kind: str, element: str, data: Data) -> None:
        instance_id = self.instances[c.reference]
        with self.db.transaction() as session:
            if kind == "bericht":
                key = session.get(ProcessInstance, instance_id).business_key
                engine.deliver_message(session, element, key, data, ACTOR)
                return
            task_id = session.scalar(
                select(HumanTask.id).where(
                    HumanTask.instance_id == instance_id,
                    HumanTask.element_id == element,
                    HumanTask.status == TaskStatus.OPEN.value,
                )
            )
            if task_id is None:
                raise RuntimeError(f"demo Haarlem {c.reference}: geen open taak {element!r}")
            complete_for_installation(session, task_id, data, ACTOR)

    def lines(self, cases: list[_Case]) -> list[str]:
        out = []
        with self.db.session() as session:
            for c in cases:
                if c.reference in self.skipped:
                    out.append(f"melding {c.reference}: {self.skipped[c.reference]}")
                    continue
                row = session.get(ProcessInstance, self.instances.get(c.reference, ""))
                if row is None:
                    continue
                open_tasks = session.scalars(
                    select(HumanTask.element_id).where(
                        HumanTask.instance_id == row.id,
                        HumanTask.status == TaskStatus.OPEN.value,
                    )
                ).all()
                out.append(
                    f"casus Haarlem {row.business_key} ({c.reference}): {c.description}"
                    f" [{row.status}, fase {row.phase}"
                    + (f", open: {', '.join(sorted(open_tasks))}" if open_tasks else "")
                    + "]"
                )
        return out

"""Demo of Weert's Vroegsignalering huurschulden: party bindings, the corporations' intake
routes (with their collection rhythm) and six cases in several states.

The cases are told as a short history over the last three monthly overviews: the signals of
the 30th come in through the intake, the enrichment runs, the SDV selects, the return
overview goes out before the 10th, AMW gets its list on the 11th. The history is replayed on a
virtual clock (only this loader's own jobs and timers are run, so other demo data is left
alone) and stops at the real "now": whatever lies in the future stays open, so the states are
always consistent with today's date. The tenants are FICTIONAL test people of the embedded
registers. Its organisations and people come first (ORGANISATIONS, PEOPLE); idempotent.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any

from sqlalchemy import select

from app import clock
from app.auth.principal import SYSTEM
from app.calendar.atw import default_calendar
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
)
from app.intake import service as intake
from app.processes.weert import service as weert
from app.tasks.service import complete_for_installation

PROCESS = weert.PROCESS

# The organisations and people of this demo (made by app/demo_data/common.py load_people).
ORGANISATIONS: list[Organisation_] = [
    ("wonen-limburg", "Wonen Limburg", "woningcorporatie", "weert", []),
    ("st-joseph", "Woningstichting St. Joseph", "woningcorporatie", "weert", []),
    ("weert-administratie", "Gemeente Weert, administratie", "gemeente", "weert", []),
    ("weert-sdv", "Gemeente Weert, schulddienstverlening", "gemeente", "weert", []),
    ("weert-participatie", "Gemeente Weert, participatie", "gemeente", "weert", []),
    ("amw-midden-limburg", "AMW Midden-Limburg", "amw", "weert", []),
]
PEOPLE: list[Person] = [
    ("wl.marieke", "Marieke Peters", "wonen-limburg", ("behandelaar",), None),
    ("weert.admin", "Rob Hendriks", "weert-administratie", ("behandelaar",), None),
    ("weert.sdv", "Lotte Willems", "weert-sdv", ("behandelaar", "manager"), None),
    ("weert.participatie", "Eva Smeets", "weert-participatie", ("behandelaar",), None),
    ("amw.noor", "Noor Janssen", "amw-midden-limburg", ("behandelaar",), None),
]
WORKER = "demo-weert"

# What the corporations know of their tenants (art. 12.2), for test people of the register
# (the scenario tests use the same people).
TENANTS: dict[str, dict[str, Any]] = {
    # A01: parents with a son of 19 and two minors; no benefit, not known to debt services.
    "jansen": dict(
        voorletters="P.J.",
        achternaam="Jansen",
        geboortedatum="1981-04-12",
        straat="Fluitekruidlaan",
        huisnummer="12",
        postcode="9999 XA",
        woonplaats="Teststad",
        telefoon="0612345601",
        maanden_achterstand=3,
    ),
    # A03: young couple, energy and water arrears; no benefit.
    "el_amrani": dict(
        voorletters="Y.",
        achternaam="El Amrani",
        geboortedatum="1997-02-11",
        straat="Hoogstraat",
        huisnummer="3",
        postcode="9999 XB",
        woonplaats="Teststad",
        telefoon="0612345603",
        maanden_achterstand=2,
    ),
    # A04: single mother with Pw and two minors; health-insurance arrears.
    "haddou": dict(
        voorletters="S.",
        achternaam="Haddou",
        geboortedatum="1990-05-14",
        straat="Kievitstraat",
        huisnummer="8",
        postcode="9999 XC",
        woonplaats="Teststad",
        telefoon="0612345604",
        maanden_achterstand=2,
    ),
    # A05: family with Pw and three minors (the mother is the tenant), Lindelaan 41-2.
    "tesfamariam": dict(
        voorletters="H.",
        achternaam="Tesfamariam",
        geboortedatum="1992-03-15",
        straat="Lindelaan",
        huisnummer="41",
        toevoeging="2",
        postcode="9999 XE",
        woonplaats="Teststad",
        maanden_achterstand=4,
    ),
    # A06: Lindelaan 41-1, known to debt services with a running trajectory.
    "de_groot": dict(
        voorletters="M.",
        tussenvoegsel="de",
        achternaam="Groot",
        geboortedatum="1979-02-28",
        straat="Lindelaan",
        huisnummer="41",
        toevoeging="1",
        postcode="9999 XE",
        woonplaats="Teststad",
        telefoon="0612345606",
        maanden_achterstand=2,
    ),
    # A07: IOAW (not a P-wet benefit), known to debt services earlier; St. Joseph's tenant.
    "mulder": dict(
        voorletters="G.",
        achternaam="Mulder",
        geboortedatum="1964-06-30",
        straat="Merelweg",
        huisnummer="5",
        postcode="9999 XF",
        woonplaats="Teststad",
        maanden_achterstand=2,
    ),
    # A11: three generations, the daughter rents; a grandson of 10; health arrears.
    "de_boer": dict(
        voorletters="I.",
        tussenvoegsel="de",
        achternaam="Boer",
        geboortedatum="1985-03-03",
        straat="Esdoornstraat",
        huisnummer="9",
        postcode="9999 XK",
        woonplaats="Teststad",
        telefoon="0612345611",
        maanden_achterstand=3,
    ),
    # A12: single refugee with Pw; the BRP knows only year and month of birth.
    "rahimi": dict(
        voorletters="A.",
        achternaam="Rahimi",
        geboortedatum="1990-07-01",
        straat="Populierenlaan",
        huisnummer="2",
        postcode="9999 XL",
        woonplaats="Teststad",
        maanden_achterstand=2,
    ),
    # A14: couple of 80 and 78 with energy arrears.
    "vermeulen": dict(
        voorletters="C.",
        achternaam="Vermeulen",
        geboortedatum="1945-05-05",
        straat="Rozenstraat",
        huisnummer="30",
        postcode="9999 XN",
        woonplaats="Teststad",
        telefoon="0612345614",
        maanden_achterstand=2,
    ),
    # Nobody of that name and birth date lives at A13 (nobody is registered there at all).
    "onbekend": dict(
        voorletters="K.",
        achternaam="Pietersen",
        geboortedatum="1975-01-01",
        straat="Wilgenpad",
        huisnummer="14",
        postcode="9999 XM",
        woonplaats="Teststad",
        maanden_achterstand=2,
    ),
}


def load(db: Database, settings: Settings) -> list[str]:
    lines = load_people(db, ORGANISATIONS, PEOPLE)
    with db.transaction() as session:
        try:
            engine.latest_version(session, PROCESS)
        except NotFound:
            return lines + [f"{PROCESS} is niet gedeployed: geen voorbeeldcasussen voor Weert"]
        lines += weert.set_up(session)
        exists = session.scalar(
            select(ProcessInstance.id).where(ProcessInstance.definition_key == PROCESS).limit(1)
        )
    if exists:
        return lines
    real = clock.get_clock()
    story = _Story(db, settings, real.now())
    virtual = VirtualClock(story.start)
    clock.set_clock(virtual)
    try:
        story.play(virtual)
    finally:
        clock.set_clock(real)
    lines += story.lines()
    return lines


@dataclass
class _Story:
    db: Database
    settings: Settings
    until: datetime
    cases: dict[str, str] = field(default_factory=dict)  # tenant -> instance id
    steps: list[tuple[datetime, int, Callable[[], None]]] = field(default_factory=list)

    def __post_init__(self) -> None:
        # The last three reporting days (the 30th, or the working day before) up to today.
        today = clock.local(self.until).date()
        days: list[date] = []
        year, month = today.year, today.month
        while len(days) < 3:
            day = weert.reporting_day(weert.ROUTE_SETTINGS["wonen-limburg"], year, month)
            if datetime.combine(day, time(10), AMSTERDAM) <= self.until:
                days.append(day)
            year, month = (year - 1, 12) if month == 1 else (year, month - 1)
        oldest, previous, latest = sorted(days)
        self.start = datetime.combine(oldest, time(9), AMSTERDAM)
        # Two months ago: one tenant through AMW to a regular SDV registration, one with a
        # benefit through the conversation and the rent withheld; both finished.
        self._month(oldest, {"el_amrani": "amw", "haddou": "gemeente"}, finish=True)
        # Last month: AMW's first contact and the municipality's conversation are open.
        self._month(previous, {"jansen": "amw", "tesfamariam": "gemeente"}, finish=False)
        # This month: a tenant the administration identifies by hand, and a selection to do.
        self._intake(latest, ["rahimi", "vermeulen"])

    # -- the history ---------------------------------------------------------------------------

    def _at(self, day: date, hour: int, action: Callable[[], None]) -> None:
        self.steps.append((datetime.combine(day, time(hour), AMSTERDAM), len(self.steps), action))

    def _intake(self, day: date, tenants: list[str]) -> None:
        period = f"{day:%Y-%m}"
        self._at(day, 10, lambda: self._signals(tenants, period))

    def _month(self, day: date, options: dict[str, str], finish: bool) -> None:
        cal = default_calendar()
        self._intake(day, list(options))
        select_day = cal.add_working_days(day, 2)
        for tenant, option in options.items():
            self._at(
                select_day,
                11,
                lambda t=tenant, o=option: self._complete(t, "analyse_selectie", {"optie": o}),
            )
        next_month = (day.replace(day=1) + timedelta(days=32)).replace(day=1)
        send_day = cal.previous_working_day(next_month.replace(day=10))
        self._at(send_day, 15, lambda p=f"{day:%Y-%m}": self._return(p))
        list_day = cal.add_working_days(next_month.replace(day=11), 0)
        self._at(list_day, 9, lambda: fire_due_timers(self.db, self.cases.values()))
        talk_day = cal.add_working_days(send_day, 5)
        for tenant, option in options.items():
            if option == "gemeente" and finish:
                self._at(
                    talk_day,
                    9,
                    lambda t=tenant: self._complete(
                        t,
                        "machtiging_vragen",
                        {"machtiging_inhouding": True, "bewijs_machtiging_inhouding": "MA-DEMO"},
                    ),
                )
                self._at(
                    talk_day,
                    10,
                    lambda t=tenant: self._complete(
                        t, "huur_inhouden", {"huur_inhouding_gestart": True}
                    ),
                )
                self._at(
                    talk_day,
                    14,
                    lambda t=tenant: self._complete(
                        t,
                        "gesprek_voeren",
                        {
                            "gesprek_gevoerd": True,
                            "zrm_afgenomen": True,
                            "vervolg_sdv": "regulier_sdv",
                        },
                    ),
                )
            if option == "amw" and finish:
                contact = cal.add_working_days(list_day, 3)
                self._at(
                    contact,
                    10,
                    lambda t=tenant, d=contact: self._complete(
                        t,
                        "amw_contact_opnemen",
                        {
                            "amw_contact_gelegd": True,
                            "amw_contactpogingen": 1,
                            "amw_contact_datum": d.isoformat(),
                        },
                    ),
                )
                situation = cal.add_working_days(contact, 10)
                self._at(
                    situation,
                    10,
                    lambda t=tenant: self._complete(
                        t,
                        "psychosociale_situatie",
                        {"schuldregeling_nodig": True, "psychosociale_begeleiding": True},
                    ),
                )
                registered = cal.add_working_days(situation, 2)
                self._at(
                    registered,
                    10,
                    lambda t=tenant, d=registered: self._complete(
                        t,
                        "reguliere_aanmelding_sdv",
                        {
                            "sdv_aanmelding_datum": d.isoformat(),
                            "sdv_registratienummer": "SDV-DEMO-0001",
                        },
                    ),
                )

    def play(self, virtual: VirtualClock) -> None:
        for moment, _n, action in sorted(self.steps, key=lambda s: (s[0], s[1])):
            if moment > self.until:
                break  # the future: what is open stays open
            virtual.set(moment)
            action()
            run_pending_jobs(self.db, self.settings, self.cases.values(), WORKER)

    # -- actions ---------------------------------------------------------------------------------

    def _signals(self, tenants: list[str], period: str) -> None:
        prefix = weert.REFERENCE_PREFIX["wonen-limburg"]
        rows = [
            (n, {"referentie": f"{prefix}-{period}-{n:04d}", **TENANTS[t]})
            for n, t in enumerate(tenants, start=1)
        ]
        with self.db.transaction() as session:
            principal = weert.partner_principal(session, "wonen-limburg")
            prepared = intake.prepare(session, principal, self.settings.secret_key, "weert")
            results = intake.receive(session, prepared, rows, "bestand")
        for tenant, result in zip(tenants, results, strict=True):
            if result.instance_id:
                self.cases[tenant] = result.instance_id

    def _complete(self, tenant: str, element: str, data: dict[str, Any]) -> None:
        with self.db.transaction() as session:
            task_id = session.scalar(
                select(HumanTask.id).where(
                    HumanTask.instance_id == self.cases.get(tenant, ""),
                    HumanTask.element_id == element,
                    HumanTask.status == TaskStatus.OPEN.value,
                )
            )
            if task_id is not None:
                complete_for_installation(session, task_id, data, SYSTEM.actor)

    def _return(self, period: str) -> None:
        with self.db.session() as session:
            principal = weert.team_principal(session, "weert-administratie", "weert.admin")
        weert.send_return_overview(
            self.db, principal, "wonen-limburg", period, self.settings.secret_key
        )

    def lines(self) -> list[str]:
        out = []
        with self.db.session() as session:
            for tenant, instance_id in self.cases.items():
                row = session.get(ProcessInstance, instance_id)
                if row is None:
                    continue
                open_tasks = session.scalars(
                    select(HumanTask.element_id).where(
                        HumanTask.instance_id == instance_id,
                        HumanTask.status == TaskStatus.OPEN.value,
                    )
                ).all()
                out.append(
                    f"casus {row.business_key} ({tenant}): {row.status}, fase {row.phase}"
                    + (f", open: {', '.join(sorted(open_tasks))}" if open_tasks else "")
                )
        return out

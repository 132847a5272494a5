"""Helpers for the scenario tests of Diemen's work process (Bijlage 3).

The partner reports through the central reporting point (the intake), each party acts as a
principal of its own organisation through the task service (so the catalogue's write rules
apply, and a task only reaches the team bound to its party), and what a party sees is read
through the access layer.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from sqlalchemy import select

from app import clock
from app.auth.principal import Principal
from app.cases.models import Document
from app.config import Settings
from app.db import Database
from app.engine.models import HumanTask, ProcessInstance, TaskStatus
from app.intake.service import prepare, receive
from app.privacy import access, context, logs
from app.privacy.models import Consent
from app.simulation.runner import Simulation
from app.tasks import service as tasks
from tests.support.coverage import record
from tests.support.engine import deploy_process
from tests.support.orgs import bind, organisation, partner, user

PROCESS = "diemen_werkproces"
MUNICIPALITY = "diemen"
# party -> (team / organisation key of the demo, kind of organisation)
TEAMS = {
    "uitvoerder": ("diemen-uitvoerder", "uitvoerder"),
    "gemeente": ("diemen-gemeente", "gemeente"),
    "plangroep": ("plangroep", "budgetbeheer"),
    "vrijwilligers": ("humanitas-diemen", "vrijwilligers"),
}
PARTNER_TEAM = "eigen-haard"

# The six data items of Bijlage 3 as the partner sends them (NAW = name and address).
SIGNAL = {
    "referentie": "EH-2026-000123",
    "naam": "J. de Vries",
    "straat": "Ouddiemerlaan",
    "huisnummer": "104",
    "toevoeging": "A",
    "postcode": "1111 AB",
    "woonplaats": "Diemen",
    "geboortedatum": "1984-06-12",
    "huur": "725,50",
    "huurachterstand": "1451,00",
    "minderjarige_kinderen": "2",
}
SIGNAL_FIELDS = set(SIGNAL)
NAW = {"naam", "straat", "huisnummer", "toevoeging", "postcode", "woonplaats"}
# The care report to the municipality (alinea 8), as the Uitvoerder records it.
CARE_REPORT = {
    "datum_zorgmelding": "2026-05-04",
    "kenmerk_zorgmelding": "ZM-2026-0012",
    "zorgmelding_toelichting": "Gezin met kinderen; dagvaarding aangekondigd door de Partner",
}


@dataclass
class Case:
    """One case of the process with the principals of its parties."""

    db: Database
    settings: Settings
    sim: Simulation
    principals: dict[str, Principal]
    instance_id: str = ""
    key: str = ""

    # -- driving --------------------------------------------------------------------------------

    def task(self, element: str) -> HumanTask:
        return self.sim.open_task(element, instance_id=self.instance_id)

    def complete(self, party: str, element: str, data: dict[str, Any]) -> None:
        """The party's principal completes its open task through the task service."""
        task = self.task(element)
        # As in a web request: log rows wait until the task's own transaction has ended (on
        # SQLite a second writer cannot start meanwhile).
        context.begin("web", "test", deferred=True)
        try:
            with self.db.transaction() as session:
                tasks.complete(
                    self.db,
                    session,
                    self.principals[party],
                    task.id,
                    data,
                    self.settings.secret_key,
                )
            logs.flush(self.db)
        finally:
            context.end()
        self.sim.settle()

    def advance_to(self, moment: str) -> None:
        from app.simulation.durations import parse_moment

        self.sim.advance_to(parse_moment(moment))

    # -- reading --------------------------------------------------------------------------------

    def sees(self, party: str) -> set[str]:
        """The fields the party's organisation may read now (through the access layer)."""
        with self.db.session() as session:
            view = access.read_case(
                self.db,
                session,
                self.principals[party],
                self.instance_id,
                "test",
                self.settings.secret_key,
            )
            return set(view.fields)

    def instance(self) -> ProcessInstance:
        with self.db.session() as session:
            row = session.get(ProcessInstance, self.instance_id)
            assert row is not None
            session.expunge(row)
            return row

    def open_elements(self) -> list[str]:
        with self.db.session() as session:
            return sorted(
                session.scalars(
                    select(HumanTask.element_id).where(
                        HumanTask.instance_id == self.instance_id,
                        HumanTask.status == TaskStatus.OPEN.value,
                    )
                )
            )

    def consents(self) -> list[tuple[str, bool, str, int | None]]:
        with self.db.session() as session:
            return [
                (c.scope, c.given, c.channel, c.evidence_document_id)
                for c in session.scalars(
                    select(Consent)
                    .where(Consent.instance_id == self.instance_id)
                    .order_by(Consent.id)
                )
            ]

    def signed_form(self, name: str) -> str:
        """A signed consent form in the case's documents; its id is the evidence."""
        with self.db.transaction() as session:
            row = Document(
                instance_id=self.instance_id,
                name=name,
                content_type="application/pdf",
                size=48213,
                sha256="0" * 64,
                category="toestemmingsformulier",
                uploaded_by="user:lisa",
                uploaded_at=clock.now(),
            )
            session.add(row)
            session.flush()
            return str(row.id)

    def end(self) -> dict[str, int]:
        """The end events reached: the path's outcome. Every completed case also left the
        work process (sub-process `werkproces`) at `einde_werkproces`; that is checked here
        and left out."""
        ends = self.sim.end_events()
        assert ends.pop("einde_werkproces", 0) >= 1, ends
        return ends

    def after_care(self) -> None:
        """A family with minor children was referred: the case stays reachable for a threat
        of eviction (alinea 8) during the settlement term, read only by the Uitvoerder and the
        Partner; then it ends without a care report."""
        row = self.instance()
        assert (row.status, row.phase) == ("waiting", "nazorg"), (row.status, row.phase)
        assert self.open_elements() == []
        for party in ("gemeente", "plangroep", "vrijwilligers"):
            assert self.sees(party) == set(), party
        self.sim.advance_to(clock.now() + timedelta(days=185))  # nazorg_termijn P6M
        assert self.instance().status == "completed"

    def record(self) -> None:
        record(self.db, PROCESS)


def case(db: Database, settings: Settings, clock_: Any) -> Case:
    """Deploy the process, make the organisations of Diemen and bind them to its parties."""
    deploy_process(db, PROCESS)
    principals: dict[str, Principal] = {}
    reporter = partner(db, PARTNER_TEAM, PROCESS, MUNICIPALITY)
    principals["melder"] = reporter
    principals["partner"] = _person("tom", reporter.organisation_id, PARTNER_TEAM)
    for party, (team, kind) in TEAMS.items():
        org_id = organisation(db, team, kind, MUNICIPALITY)
        bind(db, PROCESS, MUNICIPALITY, party, team)
        principals[party] = _person(f"{team}.medewerker", org_id, team)
    # Lisa of the Uitvoerder uploads the signed consent forms (`signed_form`).
    user(db, "lisa", TEAMS["uitvoerder"][0])
    principals["buitenstaander"] = _person(
        "anna", organisation(db, "ymere", "woningcorporatie", "haarlem"), "ymere"
    )
    return Case(db, settings, Simulation(db, settings, clock_), principals)


def _person(name: str, org_id: int | None, team: str) -> Principal:
    return Principal(
        "user",
        None,
        name,
        organisation_id=org_id,
        organisation_key=team,
        municipality=MUNICIPALITY,
        roles=frozenset({"behandelaar"}),
        groups=frozenset({team}),
    )


def report(c: Case, signal: dict[str, Any] | None = None) -> list[Any]:
    """The partner reports through the central reporting point; returns the row results."""
    with c.db.transaction() as session:
        intake = prepare(session, c.principals["melder"], c.settings.secret_key)
        results = receive(session, intake, [(1, dict(signal or SIGNAL))], "api")
    c.sim.settle()
    if results and results[0].instance_id:
        c.instance_id = results[0].instance_id
        c.key = c.instance().business_key or ""
    return results


def to_ladder(c: Case, zelfstandig: bool, netwerk: bool, vrijwilligers: bool) -> None:
    """No debt settlement; the Uitvoerder records which rungs of the ladder are possible."""
    c.complete(
        "uitvoerder",
        "schuldregeling_onderzoeken",
        {"schuldregeling_mogelijk": False, "toelichting_onderzoek": "Inkomen te laag"},
    )
    c.complete(
        "uitvoerder",
        "mogelijkheden_onderzoeken",
        {
            "zelfstandig_mogelijk": zelfstandig,
            "netwerk_mogelijk": netwerk,
            "vrijwilligers_mogelijk": vrijwilligers,
            "toelichting_onderzoek": "Besproken met de inwoner",
        },
    )


def ask_consent(c: Case, rung: str, given: bool, evidence: str | None = None) -> None:
    field = {
        "zelfstandig": "toestemming_zelfstandig",
        "netwerk": "toestemming_eigen_netwerk",
        "vrijwilligers": "toestemming_vrijwilligers",
    }[rung]
    data: dict[str, Any] = {"voorstel_aanpak": f"Voorstel: {rung}", field: given}
    if evidence is not None:
        data[f"bewijs_{field}"] = evidence
    c.complete("uitvoerder", f"toestemming_{rung}_vragen", data)


def due(task: HumanTask) -> str:
    """The deadline as people in Amsterdam read it."""
    assert task.due_at is not None
    return clock.local(task.due_at).isoformat()


def decide(c: Case, rung: str, go_on: bool, reason: str | None = None) -> None:
    """The Uitvoerder decides after coordinating with the Partner (alinea 4)."""
    data: dict[str, Any] = {"aanpak_doorzetten": go_on}
    if reason is not None:
        data["toelichting_besluit"] = reason
    c.complete("uitvoerder", f"besluiten_{rung}", data)

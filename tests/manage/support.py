"""A scenario for the monitoring tests: one case per kind of trouble, on a virtual clock.

Monday 2 March 2026, 09:00: cases start in test_toezicht (tests/manage/fixtures), with the
limits of its catalogue (idle 10 working days, 3 at `nabellen`; messages 5; at risk 2):
  TE-LAAT   waits at `beoordelen` (due in 5 working days: Monday 9 March)
  STIL      went on to `nabellen` (no due date; idle limit 3 working days)
  BERICHT   went on to `wachten` for a message (and its 14-day boundary timer)
Thursday 5 March:
  RISICO    starts, waits at `beoordelen` (due Thursday 12 March)
  STORING   starts in test_jobs, whose handler keeps failing: an incident
  ANDERS    like RISICO, but in another organisation (Roermond): managers of Weert never
            see it
Wednesday 11 March, 09:00: the moment of the tests (2 working days after TE-LAAT's due
date, 1 before RISICO's, 7 working days after STIL and BERICHT last moved).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import select

from app.auth.models import Organisation
from app.auth.principal import SYSTEM
from app.cases import settings as process_settings
from app.cases.service import start_case
from app.clock import VirtualClock
from app.config import Settings
from app.db import Database
from app.engine import service
from app.engine.jobs import run_due_jobs
from app.engine.models import HumanTask, ProcessInstance
from app.engine.runtime import version_catalogue
from app.manage import stuck, stuck_reasons
from app.manage.scope import Scope
from tests.support import handlers
from tests.support.engine import FIXTURES, deploy_paths
from tests.support.orgs import organisation, user

HERE = Path(__file__).resolve().parent
TOEZICHT = HERE / "fixtures" / "toezicht.bpmn"
JOBS = FIXTURES / "jobs.bpmn"
MONDAY = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)  # 09:00 in Amsterdam
THURSDAY = datetime(2026, 3, 5, 8, 0, tzinfo=UTC)
NOW = datetime(2026, 3, 11, 8, 0, tzinfo=UTC)


@dataclass
class Scenario:
    db: Database
    settings: Settings
    clock: VirtualClock
    ids: dict[str, str] = field(default_factory=dict)  # business key -> instance id

    def start(
        self, key: str, business_key: str, data: dict[str, Any], group: str = "weert-sdv"
    ) -> str:
        with self.db.transaction() as session:
            row = start_case(
                session,
                SYSTEM,
                key,
                business_key=business_key,
                data=data,
                municipality="weert" if group == "weert-sdv" else "roermond",
                parties={"behandelaar": group},
            )
            self.ids[business_key] = row.id
            return row.id

    def jobs(self, rounds: int = 1) -> None:
        for _ in range(rounds):
            run_due_jobs(self.db, self.settings, "test")
            self.clock.advance(timedelta(seconds=self.settings.job_backoff_seconds * 8))

    def complete(self, business_key: str, element: str, data: dict[str, Any]) -> None:
        with self.db.transaction() as session:
            task = session.scalars(
                select(HumanTask).where(
                    HumanTask.instance_id == self.ids[business_key],
                    HumanTask.element_id == element,
                    HumanTask.status == "open",
                )
            ).one()
            service.complete_task(session, task.id, data, "user:bob")


def people(db: Database) -> None:
    organisation(db, "weert-sdv", "gemeente", name="Schuldhulp Weert")
    organisation(db, "roermond-sdv", "gemeente", "roermond", name="Schuldhulp Roermond")
    organisation(db, "beheer", "beheer", name="Beheer")
    user(db, "mia", "weert-sdv", roles=("manager",))
    user(db, "teun", "weert-sdv", roles=("teamleider", "behandelaar"))
    user(db, "bob", "weert-sdv", roles=("behandelaar",))
    user(db, "bea", "weert-sdv", roles=("behandelaar",))
    user(db, "rob", "roermond-sdv", roles=("manager",))
    user(db, "olaf", "beheer", roles=("beheerder",), groups=())
    user(db, "pim", "beheer", roles=("procesbeheerder",), groups=())


def build_scenario(db: Database, clock: VirtualClock, settings: Settings) -> Scenario:
    people(db)
    deploy_paths(db, TOEZICHT, JOBS)
    s = Scenario(db, settings, clock)
    clock.set(MONDAY)
    for key, data in (("TE-LAAT", {}), ("STIL", {}), ("BERICHT", {})):
        s.start("test_toezicht", key, {"bedrag": 850, **data})
    s.jobs()
    s.complete("STIL", "beoordelen", {"akkoord": False})
    s.complete("BERICHT", "beoordelen", {"akkoord": True})
    clock.set(THURSDAY)
    s.start("test_toezicht", "RISICO", {"bedrag": 400})
    s.start("test_toezicht", "ANDERS", {"bedrag": 300}, group="roermond-sdv")
    handlers.FAILURES["STORING"] = -1  # the registry stays down
    s.start("test_jobs", "STORING", {"deler": 4})
    s.jobs(rounds=1 + settings.job_retries)
    clock.set(NOW)
    # The stuck list's facts built as the worker's tick would: the tests then read the
    # scenario's cases from facts, and what they change afterwards by the rule until the
    # next refresh (app/manage/stuck_reasons.py; tests/manage/test_stuck_facts.py compares).
    stuck_reasons.refresh_all(db)
    return s


def set_limits(db: Database, *values: tuple[str, str, Any]) -> int:
    """Municipalities' own limits for test_toezicht, as a process owner sets them:
    (municipality, setting, value) each. Returns the version they were set on."""
    with db.transaction() as session:
        version_id = session.scalar(
            select(ProcessInstance.version_id).where(ProcessInstance.business_key == "STIL")
        )
        catalogue = version_catalogue(session, version_id)
        for town, name, value in values:
            process_settings.set_value(session, catalogue, "test_toezicht", town, name, value, "t")
    return version_id


def org_id(db: Database, key: str) -> int:
    with db.session() as session:
        return session.scalar(select(Organisation.id).where(Organisation.key == key))


def scopes(db: Database) -> list[Scope]:
    """The stuck list's scopes of the scenario: everything, two organisations, a municipality."""
    return [
        Scope(None),
        Scope(org_id(db, "weert-sdv")),
        Scope(org_id(db, "roermond-sdv")),
        Scope(None, "weert"),
    ]


def row_values(row: stuck.StuckRow) -> tuple[Any, ...]:
    """A stuck list row's own columns, to compare lists."""
    return (
        row.reason,
        row.instance_id,
        row.business_key,
        row.since,
        row.due,
        row.element_id,
        row.detail,
        row.ref,
    )

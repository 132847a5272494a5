"""Set-up and helpers for the scenario tests of weert_vroegsignalering.

The organisations are those of the demo (app/demo_data/common.py); the tenants are the
FICTIONAL test people of the embedded registers (app/registers/data/testpersonen.json), so the
enrichment finds them. Signals come in through the real intake on the corporation's route.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select

from app.auth.principal import Principal
from app.config import Settings
from app.db import Database
from app.engine.models import HumanTask, ProcessInstance, TaskStatus
from app.intake import service as intake
from app.privacy import access
from app.processes.weert import service as weert
from app.processes.weert.demo import TENANTS  # the demo's tenants are the scenarios' people
from app.simulation.runner import Simulation
from tests.support import engine as engine_support
from tests.support.orgs import organisation, user

KEY = "weert_vroegsignalering"

# Art. 12.2: all the corporation may send.
ART_12_2 = {
    "referentie",
    "voorletters",
    "tussenvoegsel",
    "achternaam",
    "geboortedatum",
    "straat",
    "huisnummer",
    "huisletter",
    "toevoeging",
    "postcode",
    "woonplaats",
    "telefoon",
    "maanden_achterstand",
}
# Art. 12.3: all the municipality may pass to AMW.
ART_12_3 = {
    "voorletters",
    "tussenvoegsel",
    "achternaam",
    "geboortedatum",
    "straat",
    "huisnummer",
    "huisletter",
    "toevoeging",
    "postcode",
    "woonplaats",
    "telefoon",
    "leefsituatie",
    "schuldgebieden",
}

BSN = {
    "jansen": "999990007",
    "el_amrani": "999990068",
    "haddou": "999990093",
    "tesfamariam": "999990147",
    "de_groot": "999990184",
    "mulder": "999990196",
    "de_boer": "999990317",
    "rahimi": "999990330",
    "vermeulen": "999990342",
}
TEAMS = {
    "corporatie": "wonen-limburg",
    "administratie": "weert-administratie",
    "sdv": "weert-sdv",
    "participatie": "weert-participatie",
    "amw": "amw-midden-limburg",
}


@dataclass
class Weert:
    db: Database
    settings: Settings
    sim: Simulation
    people: dict[str, Principal]  # one worker per organisation, by organisation key


def set_up(db: Database, settings: Settings, clock: Any) -> Weert:
    """Organisations and teams as in the demo, the process deployed, party bindings and the
    corporations' intake routes (with their collection rhythm)."""
    engine_support.deploy_process(db, KEY)
    people: dict[str, Principal] = {}
    for key, kind in (
        ("wonen-limburg", "woningcorporatie"),
        ("st-joseph", "woningcorporatie"),
        ("weert-administratie", "gemeente"),
        ("weert-sdv", "gemeente"),
        ("weert-participatie", "gemeente"),
        ("amw-midden-limburg", "amw"),
    ):
        organisation(db, key, kind, "weert")
        people[key] = user(db, f"{key}.medewerker", key)
    with db.transaction() as session:
        weert.set_up(session)
    return Weert(db, settings, Simulation(db, settings, clock), people)


def signal(tenant: str, reference: str, **changes: Any) -> dict[str, Any]:
    return {"referentie": reference, **TENANTS[tenant], **changes}


def send_overview(w: Weert, corporation: str, rows: list[dict[str, Any]]) -> list[str]:
    """The corporation's overview of the 30th through the intake; returns the business keys."""
    with w.db.transaction() as session:
        principal = weert.partner_principal(session, corporation)
        prepared = intake.prepare(session, principal, w.settings.secret_key)
        results = intake.receive(session, prepared, list(enumerate(rows, start=1)), "bestand")
    assert [r.status for r in results] == ["opgeslagen"] * len(rows), [
        (r.status, r.errors) for r in results
    ]
    w.sim.settle()  # the worker runs the enrichment jobs
    with w.db.session() as session:
        return [
            session.get(ProcessInstance, r.instance_id).business_key  # type: ignore[union-attr]
            for r in results
        ]


def case(w: Weert, key: str) -> ProcessInstance:
    return w.sim.instance(key)


def open_tasks(w: Weert, key: str) -> list[HumanTask]:
    with w.db.session() as session:
        rows = session.scalars(
            select(HumanTask)
            .join(ProcessInstance)
            .where(ProcessInstance.business_key == key, HumanTask.status == TaskStatus.OPEN.value)
            .order_by(HumanTask.element_id)
        ).all()
        session.expunge_all()
        return list(rows)


def task(w: Weert, key: str, element: str) -> HumanTask:
    found = [t for t in open_tasks(w, key) if t.element_id == element]
    assert len(found) == 1, (key, element, [t.element_id for t in open_tasks(w, key)])
    return found[0]


def sees(w: Weert, org_key: str, key: str) -> dict[str, Any]:
    """What a worker of `org_key` reads of the case, through the access layer."""
    instance_id = case(w, key).id
    with w.db.session() as session:
        view = access.read_case(
            w.db, session, w.people[org_key], instance_id, "test", w.settings.secret_key
        )
        return view.fields


def local(moment: datetime | None) -> str | None:
    from app.clock import local as to_local

    return None if moment is None else to_local(moment).isoformat()

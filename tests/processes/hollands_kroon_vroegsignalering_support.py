"""Helpers for the scenario tests of hollands_kroon_vroegsignalering: the partners of Hollands
Kroon with their intake routes, the debt-services team, signals through the real intake, and
short ways to read tasks, timers, case views and partner feedback."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select

from app.auth.principal import Principal
from app.clock import AMSTERDAM, local
from app.db import Database
from app.engine.models import HumanTask, ProcessInstance, TaskStatus, Timer, WaitStatus
from app.intake.feedback import Feedback, feedback
from app.intake.models import Signal
from app.intake.service import RowResult, prepare, receive
from app.privacy import access
from app.simulation.runner import Simulation
from tests.support.engine import deploy_process
from tests.support.orgs import bind, organisation, partner, user

KEY = "hollands_kroon_vroegsignalering"
MUNICIPALITY = "hollands-kroon"
SDV_TEAM = "hk-schulddienstverlening"
WIJKTEAM = "hk-wijkteam"
SECRET = "hk-testgeheim"
# The fixed-cost partners of the document: housing corporations, health insurer, water, energy.
PARTNERS = ("wooncompagnie", "beter-wonen", "zorgverzekeraar-nh", "waterbedrijf-nh", "energie-nh")
KINDS = {key: "schuldeiser" for key in ("zorgverzekeraar-nh", "waterbedrijf-nh", "energie-nh")}


@dataclass
class World:
    sim: Simulation
    partners: dict[str, Principal]
    sdv: Principal


def setup(db: Database, settings: Any, clock: Any) -> World:
    """Deploy the process; every partner gets an intake route; the municipality's
    debt-services team plays party `sdv`."""
    deploy_process(db, KEY)
    # Corporations as corporations; insurer, water and energy company as creditors.
    partners = {
        key: partner(db, key, KEY, MUNICIPALITY, kind=KINDS.get(key, "woningcorporatie"))
        for key in PARTNERS
    }
    organisation(db, SDV_TEAM, "gemeente", MUNICIPALITY)
    bind(db, KEY, MUNICIPALITY, "sdv", SDV_TEAM)
    organisation(db, WIJKTEAM, "wijkteam", MUNICIPALITY)
    bind(db, KEY, MUNICIPALITY, "wijkteam", WIJKTEAM)
    sdv = user(db, "mira", SDV_TEAM)
    return World(Simulation(db, settings, clock), partners, sdv)


def at(text: str) -> datetime:
    """An Amsterdam wall-clock moment, e.g. at("2026-03-26T09:00")."""
    return datetime.fromisoformat(text).replace(tzinfo=AMSTERDAM)


def signal(reference: str, kind: str, **extra: Any) -> dict[str, Any]:
    """One household in Anna Paulowna (fictional); the address makes signals one case."""
    values = {
        "referentie": reference,
        "soort_vaste_lasten": kind,
        "naam": "J. de Boer",
        "straat": "Kanaalweg",
        "huisnummer": "12",
        "toevoeging": "A",
        "postcode": "1761 AB",
        "woonplaats": "Anna Paulowna",
        "telefoon": "0612345678",
        "email": "j.deboer@example.nl",
        "achterstand_bedrag": "1234,56",
    }
    values.update(extra)
    return values


def report(world: World, partner_key: str, *rows: dict[str, Any]) -> list[RowResult]:
    """Signals from one partner through the intake (channel api), as in production."""
    db = world.sim.db
    with db.transaction() as session:
        intake = prepare(session, world.partners[partner_key], SECRET)
        results = receive(session, intake, list(enumerate(rows, start=1)), "api")
    world.sim.settle()
    return results


def instance(db: Database, instance_id: str) -> ProcessInstance:
    with db.session() as session:
        row = session.get(ProcessInstance, instance_id)
        assert row is not None
        session.expunge(row)
        return row


def open_task(db: Database, instance_id: str) -> HumanTask:
    """The one open task of the case."""
    with db.session() as session:
        rows = session.scalars(
            select(HumanTask).where(
                HumanTask.instance_id == instance_id, HumanTask.status == TaskStatus.OPEN.value
            )
        ).all()
        assert len(rows) == 1, [r.element_id for r in rows]
        session.expunge(rows[0])
        return rows[0]


def open_elements(db: Database, instance_id: str) -> list[str]:
    with db.session() as session:
        return sorted(
            session.scalars(
                select(HumanTask.element_id).where(
                    HumanTask.instance_id == instance_id,
                    HumanTask.status == TaskStatus.OPEN.value,
                )
            )
        )


def local_iso(moment: datetime | None) -> str | None:
    return local(moment).isoformat() if moment is not None else None


def waiting_timer(db: Database, instance_id: str) -> Timer:
    with db.session() as session:
        row = session.scalars(
            select(Timer).where(
                Timer.instance_id == instance_id, Timer.status == WaitStatus.WAITING.value
            )
        ).one()
        session.expunge(row)
        return row


def signals_of(db: Database, instance_id: str) -> list[Signal]:
    from app.intake.models import SignalCase

    with db.session() as session:
        rows = session.scalars(
            select(Signal)
            .join(SignalCase, SignalCase.id == Signal.case_id)
            .where(SignalCase.instance_id == instance_id)
            .order_by(Signal.id)
        ).all()
        for row in rows:
            session.expunge(row)
        return list(rows)


def view(db: Database, principal: Principal, instance_id: str) -> dict[str, Any]:
    """What this principal's organisation sees of the case (the access layer)."""
    with db.session() as session:
        return access.read_case(db, session, principal, instance_id, "test", SECRET).fields


def partner_feedback(world: World, partner_key: str, period: str) -> Feedback:
    db = world.sim.db
    with db.session() as session:
        return feedback(db, session, world.partners[partner_key], period, SECRET)


def feedback_rows(result: Feedback) -> list[dict[str, Any]]:
    return [dict(zip(result.columns, row, strict=True)) for row in result.rows]


def attempt(kind: str, day: str, part: str, reached: bool, **extra: Any) -> dict[str, Any]:
    """A contact attempt as the form submits it (DDAS: kind, date, part of the day, reached)."""
    return {
        "contact_soort": kind,
        "contact_datum": day,
        "contact_dagdeel": part,
        "contact_bereikt": reached,
        **extra,
    }

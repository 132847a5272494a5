"""Repair by people (issue 19): missing case data added on the incident page and retried;
a retry that fails again keeps one incident; process instance modification with a dry run
on a case with parallel branches."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select

from app.auth.principal import SYSTEM
from app.cases.service import start_case
from app.engine import modification, service
from app.engine.models import HumanTask, Incident, InstanceEvent, ProcessInstance
from tests.support.engine import deploy_paths
from tests.support.orgs import organisation

HERSTEL = Path(__file__).resolve().parent / "fixtures" / "herstel.bpmn"


@pytest.fixture
def deployed(db, clock):
    organisation(db, "weert-sdv", "gemeente", name="Schuldhulp Weert")
    deploy_paths(db, HERSTEL)
    return db


def start(db, key: str, data: dict) -> str:
    with db.transaction() as session:
        row = start_case(
            session,
            SYSTEM,
            "test_herstel",
            business_key=key,
            data=data,
            municipality="weert",
            parties={"behandelaar": "weert-sdv"},
        )
        return row.id


def open_elements(db, instance_id: str) -> list[str]:
    with db.session() as session:
        return sorted(
            session.scalars(
                select(HumanTask.element_id).where(
                    HumanTask.instance_id == instance_id, HumanTask.status == "open"
                )
            )
        )


def incidents(db, instance_id: str) -> list[Incident]:
    with db.session() as session:
        return list(session.scalars(select(Incident).where(Incident.instance_id == instance_id)))


def test_a_retry_that_fails_again_keeps_one_incident(deployed) -> None:
    instance_id = start(deployed, "H-1", {"bedrag": 600})  # no `maanden`: None by default
    [incident] = incidents(deployed, instance_id)
    assert incident.element_id == "maandbedrag" and "NoneType" in incident.message
    with deployed.transaction() as session:
        service.retry_incident(session, incident.id, "user:teun", "nog eens")
    [again] = incidents(deployed, instance_id)
    assert again.id == incident.id and again.status == "open"
    with deployed.session() as session:
        kinds = [
            e.kind
            for e in session.scalars(
                select(InstanceEvent).where(InstanceEvent.instance_id == instance_id)
            )
        ]
        assert session.get(ProcessInstance, instance_id).status == "error"
    assert kinds.count("incident_raised") == 1 and "incident_retry_failed" in kinds
    # With the missing value added, the step runs and the case goes on.
    with deployed.transaction() as session:
        service.retry_incident(session, incident.id, "user:teun", "aangevuld", {"maanden": 6})
    assert [i.status for i in incidents(deployed, instance_id)] == ["resolved"]
    assert open_elements(deployed, instance_id) == ["bellen", "brief"]


def test_modification_with_a_dry_run_on_parallel_branches(deployed) -> None:
    instance_id = start(deployed, "P-1", {"bedrag": 600, "maanden": 6})
    assert open_elements(deployed, instance_id) == ["bellen", "brief"]
    with deployed.transaction() as session:
        plan = modification.modify(
            session, instance_id, ["bellen"], "huisbezoek", "user:teun", "al gebeld"
        )
    assert not plan.done
    assert [s.element for s in plan.cancelled] == ["bellen"]
    assert plan.started.element == "huisbezoek" and [s.element for s in plan.kept] == ["brief"]
    assert open_elements(deployed, instance_id) == ["bellen", "brief"]  # a dry run: nothing

    with deployed.transaction() as session:
        plan = modification.modify(
            session, instance_id, ["bellen"], "huisbezoek", "user:teun", "al gebeld", False
        )
    assert plan.done and open_elements(deployed, instance_id) == ["brief", "huisbezoek"]
    # Both branches end; the join waits for both and goes on once.
    for element in ("brief", "huisbezoek"):
        with deployed.transaction() as session:
            task = session.scalars(
                select(HumanTask).where(
                    HumanTask.instance_id == instance_id,
                    HumanTask.element_id == element,
                    HumanTask.status == "open",
                )
            ).one()
            service.complete_task(session, task.id, {}, "user:bob")
        if element == "brief":
            assert open_elements(deployed, instance_id) == ["huisbezoek"]
    assert open_elements(deployed, instance_id) == ["afronden"]
    with deployed.session() as session:
        event = session.scalars(
            select(InstanceEvent).where(
                InstanceEvent.instance_id == instance_id, InstanceEvent.kind == "instance_modified"
            )
        ).one()
        assert event.details == {
            "gestopt": ["bellen"],
            "gestart": "huisbezoek",
            "reden": "al gebeld",
        }
        assert event.actor == "user:teun"

"""A person's task completion that would make the case's stored state too large: a 422 in
Dutch through the API, naming no figures of the case, and nothing stored changes. A message
a system sends that would do it: the same 422 for the sender, and one incident on the case
for its process owner."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from sqlalchemy import select

from app.engine import failures, service, state_limit
from app.engine.jobs import run_due_jobs
from app.engine.models import Incident
from tests.engine.test_state_limit import state_size, stored
from tests.support.engine import (
    SIMPLE,
    deploy_paths,
    instance,
    open_tasks,
    start,
    write_variant,
)
from tests.support.orgs import team_member


@pytest.fixture
def deployed(db, clock):
    deploy_paths(db, SIMPLE)
    return db


def test_the_api_answers_422_and_stores_nothing(client, auth, deployed, settings) -> None:
    team_member(deployed, "anna")
    created = client.post(
        "/api/v1/processes/test_simple/instances",
        headers=auth,
        json={"business_key": "Z-1", "data": {"bedrag": 5}},
    )
    instance_id = created.get_json()["id"]
    run_due_jobs(deployed, settings, "w")
    [task] = client.get("/api/v1/tasks?candidate_group=team", headers=auth).get_json()["items"]
    state_limit.configure(state_limit.StateLimits(state_size(deployed, instance_id) + 10, 10**6))
    try:
        before = stored(deployed)
        refused = client.post(
            f"/api/v1/tasks/{task['id']}/complete", headers=auth, json={"data": {"akkoord": True}}
        )
        assert refused.status_code == 422
        body = refused.get_json()
        assert body["code"] == "case_too_large"
        assert body["message"] == state_limit.MESSAGE
        assert stored(deployed) == before
    finally:
        state_limit.configure(None)
    done = client.post(
        f"/api/v1/tasks/{task['id']}/complete", headers=auth, json={"data": {"akkoord": True}}
    )
    assert done.status_code == 200 and done.get_json()["status"] == "waiting"


def message_then_task(tmp_path: Path) -> Path:
    """test_simple with a person's task after the message (the case goes on, not ends)."""
    xml = SIMPLE.read_text()
    for old, new in (
        (
            '<bpmn:sequenceFlow id="f6" sourceRef="wachten" targetRef="einde" />',
            '<bpmn:sequenceFlow id="f6" sourceRef="wachten" targetRef="controleren" />'
            '<bpmn:userTask id="controleren" name="Controleren" camunda:candidateGroups="team">'
            "<bpmn:extensionElements><camunda:properties>"
            '<camunda:property name="partij" value="beoordelaar" />'
            "</camunda:properties></bpmn:extensionElements>"
            "<bpmn:incoming>f6</bpmn:incoming><bpmn:outgoing>f8</bpmn:outgoing></bpmn:userTask>"
            '<bpmn:sequenceFlow id="f8" sourceRef="controleren" targetRef="einde" />',
        ),
        (
            "<bpmn:incoming>f6</bpmn:incoming>\n    </bpmn:endEvent>",
            "<bpmn:incoming>f8</bpmn:incoming>\n    </bpmn:endEvent>",
        ),
    ):
        assert old in xml
        xml = xml.replace(old, new)
    # Without the boundary timer: the message then only adds to the case.
    xml = re.sub(r"<bpmn:boundaryEvent id=\"termijn\".*?</bpmn:boundaryEvent>", "", xml, flags=re.S)
    xml = re.sub(r"<bpmn:endEvent id=\"einde_termijn\".*?</bpmn:endEvent>", "", xml, flags=re.S)
    xml = re.sub(r"<bpmn:sequenceFlow id=\"f7\"[^>]*/>", "", xml)
    catalogue = (SIMPLE.parent / "simple.catalogus.yaml").read_text()
    catalogue = catalogue.replace(
        "afronding: [wachten, termijn, einde, einde_termijn]",
        "afronding: [wachten, controleren, einde]",
    )
    return write_variant(tmp_path, "bericht_taak.bpmn", xml, catalogue)


def test_a_refused_message_answers_422_and_opens_one_incident(
    client, auth, db, clock, settings, tmp_path
) -> None:
    deploy_paths(db, message_then_task(tmp_path))
    team_member(db, "anna")
    instance_id = start(db, business_key="Z-2")
    run_due_jobs(db, settings, "w")
    [task] = open_tasks(db, instance_id)
    with db.transaction() as session:
        service.complete_task(session, task.id, {"akkoord": True}, "anna")
    state_limit.configure(state_limit.StateLimits(state_size(db, instance_id) + 10, 10**6))
    message = {"name": "betalingsregeling", "correlation_key": "Z-2", "data": {"termijnen": 6}}
    try:
        before = stored(db)
        for _ in range(2):  # sent again: still one incident
            refused = client.post("/api/v1/messages", headers=auth, json=message)
            assert refused.status_code == 422
            assert refused.get_json()["code"] == "case_too_large"
        after = stored(db)
        assert after["timer"] == before["timer"] and after["human_task"] == before["human_task"]
        assert after["message_subscription"] == before["message_subscription"]
        with db.session() as session:
            [incident] = session.scalars(select(Incident)).all()
        assert incident.kind == failures.STATE_LIMIT and incident.status == "open"
        assert incident.message.startswith("Bericht ‘betalingsregeling’ is geweigerd")
        assert instance(db, instance_id).status == "error"
    finally:
        state_limit.configure(None)
    # With room again: the process owner retries the incident, the sender sends again.
    with db.transaction() as session:
        service.retry_incident(session, incident.id, "user:pim", "grens verhoogd")
    assert instance(db, instance_id).status == "waiting"
    done = client.post("/api/v1/messages", headers=auth, json=message)
    assert done.status_code == 200
    assert [t.element_id for t in open_tasks(db, instance_id)] == ["controleren"]

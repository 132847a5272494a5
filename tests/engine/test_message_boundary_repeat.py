"""Issue 18: a non-interrupting message boundary event stays subscribed while its host is
active, as in Camunda 7: every matching message starts another branch beside the host, and
the branches keep running when the host completes. An interrupting one fires once."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from app.engine import service
from app.engine.errors import NotFound
from app.engine.models import InstanceEvent, MessageSubscription
from app.engine.runtime import Execution
from tests.support.camunda import write_diagram
from tests.support.engine import deploy_paths, instance, open_tasks, start

XML = """<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
    xmlns:camunda="http://camunda.org/schema/1.0/bpmn" id="d" targetNamespace="t">
  <bpmn:message id="msg" name="melding" />
  <bpmn:process id="{key}" isExecutable="true">
    <bpmn:startEvent id="s" />
    <bpmn:userTask id="gesprek" />
    <bpmn:boundaryEvent id="grens" attachedToRef="gesprek" cancelActivity="{cancel}">
      <bpmn:messageEventDefinition messageRef="msg" />
    </bpmn:boundaryEvent>
    <bpmn:userTask id="afhandelen" />
    <bpmn:endEvent id="e" /><bpmn:endEvent id="e2" />
    <bpmn:sequenceFlow id="f1" sourceRef="s" targetRef="gesprek" />
    <bpmn:sequenceFlow id="f2" sourceRef="gesprek" targetRef="e" />
    <bpmn:sequenceFlow id="f3" sourceRef="grens" targetRef="afhandelen" />
    <bpmn:sequenceFlow id="f4" sourceRef="afhandelen" targetRef="e2" />
  </bpmn:process>
</bpmn:definitions>
"""


def deploy(db, tmp_path: Path, key: str, cancel: str) -> None:  # type: ignore[no-untyped-def]
    deploy_paths(
        db, write_diagram(tmp_path, key, XML.format(key=key, cancel=cancel), {"nummer": 1}, [])
    )


def message(db, key: str, data: dict[str, Any] | None = None) -> None:  # type: ignore[no-untyped-def]
    with db.transaction() as session:
        service.deliver_message(session, "melding", key, data or {}, "test")


def complete(db, task_id: str, data: dict[str, Any] | None = None) -> None:  # type: ignore[no-untyped-def]
    with db.transaction() as session:
        service.complete_task(session, task_id, data or {}, "test")


def subscriptions(db, instance_id: str) -> list[str]:  # type: ignore[no-untyped-def]
    with db.session() as session:
        return list(
            session.scalars(
                select(MessageSubscription.status).where(
                    MessageSubscription.instance_id == instance_id
                )
            )
        )


def received(db, instance_id: str) -> int:  # type: ignore[no-untyped-def]
    with db.session() as session:
        return len(
            session.scalars(
                select(InstanceEvent.id).where(
                    InstanceEvent.instance_id == instance_id,
                    InstanceEvent.kind == "message_received",
                )
            ).all()
        )


def test_every_message_starts_a_branch_while_the_host_runs(db, clock, tmp_path) -> None:
    deploy(db, tmp_path, "herhaald", "false")
    instance_id = start(db, "herhaald", "C-1", {})
    message(db, "C-1", {"nummer": 1})
    message(db, "C-1", {"nummer": 2})
    message(db, "C-1", {"nummer": 3})
    tasks = open_tasks(db, instance_id)
    assert sorted(t.element_id for t in tasks) == ["afhandelen"] * 3 + ["gesprek"]
    assert received(db, instance_id) == 3
    # One subscription, still waiting: the boundary event listens as long as the host runs.
    assert subscriptions(db, instance_id) == ["waiting"]
    # Each branch carries its own message's variables.
    branches = [t for t in tasks if t.element_id == "afhandelen"]
    with db.transaction() as session:
        numbers = sorted(
            Execution.open(session, instance_id, None).task(t.id).data["nummer"] for t in branches
        )
    assert numbers == [1, 2, 3]

    # The host completes: the subscription closes, the branches it spawned run on.
    [host] = [t for t in tasks if t.element_id == "gesprek"]
    complete(db, host.id)
    assert subscriptions(db, instance_id) == ["cancelled"]
    with pytest.raises(NotFound):
        message(db, "C-1")
    assert sorted(t.element_id for t in open_tasks(db, instance_id)) == ["afhandelen"] * 3
    for task in branches:
        complete(db, task.id)
    assert instance(db, instance_id).status == "completed"


def test_an_interrupting_message_boundary_fires_once(db, clock, tmp_path) -> None:
    deploy(db, tmp_path, "eenmalig", "true")
    instance_id = start(db, "eenmalig", "C-2", {})
    message(db, "C-2")
    assert [t.element_id for t in open_tasks(db, instance_id)] == ["afhandelen"]
    with pytest.raises(NotFound):
        message(db, "C-2")

"""Issue 18: an event-based gateway whose branches are only timers and signals runs as in
Camunda 7: it waits for the first of them, which wins and withdraws the others (their
timer rows and signal subscriptions close as cancelled)."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from sqlalchemy import select

from app.engine.models import SignalSubscription, Timer
from app.engine.signals import broadcast
from app.engine.timers import fire_due_timers
from tests.support.camunda import write_diagram
from tests.support.engine import deploy_paths, instance, start

XML = """<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
    xmlns:camunda="http://camunda.org/schema/1.0/bpmn" id="d" targetNamespace="t">
  <bpmn:signal id="sig_klaar" name="klaar" />
  <bpmn:process id="lus" isExecutable="true">
    <bpmn:startEvent id="s" />
    <bpmn:exclusiveGateway id="samen" />
    <bpmn:eventBasedGateway id="welke" />
    <bpmn:intermediateCatchEvent id="bij_klaar">
      <bpmn:signalEventDefinition signalRef="sig_klaar" />
    </bpmn:intermediateCatchEvent>
    <bpmn:intermediateCatchEvent id="elk_uur">
      <bpmn:timerEventDefinition><bpmn:timeDuration>PT1H</bpmn:timeDuration>
      </bpmn:timerEventDefinition>
    </bpmn:intermediateCatchEvent>
    <bpmn:scriptTask id="tel" scriptFormat="python"><bpmn:script>teller = teller + 1</bpmn:script>
    </bpmn:scriptTask>
    <bpmn:scriptTask id="noteer" scriptFormat="python"><bpmn:script>pad = "klaar"</bpmn:script>
    </bpmn:scriptTask>
    <bpmn:endEvent id="e" />
    <bpmn:sequenceFlow id="f1" sourceRef="s" targetRef="samen" />
    <bpmn:sequenceFlow id="f2" sourceRef="samen" targetRef="welke" />
    <bpmn:sequenceFlow id="f3" sourceRef="welke" targetRef="bij_klaar" />
    <bpmn:sequenceFlow id="f4" sourceRef="welke" targetRef="elk_uur" />
    <bpmn:sequenceFlow id="f5" sourceRef="elk_uur" targetRef="tel" />
    <bpmn:sequenceFlow id="f6" sourceRef="tel" targetRef="samen" />
    <bpmn:sequenceFlow id="f7" sourceRef="bij_klaar" targetRef="noteer" />
    <bpmn:sequenceFlow id="f8" sourceRef="noteer" targetRef="e" />
  </bpmn:process>
</bpmn:definitions>
"""


def statuses(db, model, instance_id: str) -> list[tuple[str, str]]:  # type: ignore[no-untyped-def]
    with db.session() as session:
        return sorted(
            session.execute(
                select(model.element_id, model.status).where(model.instance_id == instance_id)
            ).all()
        )


def fire(db, clock, hours: int) -> None:  # type: ignore[no-untyped-def]
    clock.advance(timedelta(hours=hours, seconds=1))
    fire_due_timers(db, 100)


def test_timer_and_signal_branches_first_wins_and_withdraws_the_other(
    db, clock, tmp_path: Path
) -> None:
    deploy_paths(db, write_diagram(tmp_path, "lus", XML, {"teller": 0, "pad": "x"}, ["teller"]))
    instance_id = start(db, "lus", "L-1", {"teller": 0})
    assert instance(db, instance_id).status == "waiting"
    assert statuses(db, SignalSubscription, instance_id) == [("bij_klaar", "waiting")]
    assert statuses(db, Timer, instance_id) == [("elk_uur", "waiting")]

    # The timer wins twice: each time the signal subscription is withdrawn, and the loop
    # back to the gateway subscribes anew.
    fire(db, clock, 1)
    fire(db, clock, 1)
    row = instance(db, instance_id)
    assert row.status == "waiting" and row.data["teller"] == 2
    assert statuses(db, Timer, instance_id) == [
        ("elk_uur", "done"),
        ("elk_uur", "done"),
        ("elk_uur", "waiting"),
    ]
    assert statuses(db, SignalSubscription, instance_id) == [
        ("bij_klaar", "cancelled"),
        ("bij_klaar", "cancelled"),
        ("bij_klaar", "waiting"),
    ]

    # Now the signal wins: the waiting timer is withdrawn and never fires.
    with db.transaction() as session:
        assert broadcast(session, "klaar", {}, "test").received == [instance_id]
    row = instance(db, instance_id)
    assert row.status == "completed" and row.data == {"teller": 2, "pad": "klaar"}
    assert statuses(db, Timer, instance_id) == [
        ("elk_uur", "cancelled"),
        ("elk_uur", "done"),
        ("elk_uur", "done"),
    ]
    fire(db, clock, 2)
    assert instance(db, instance_id).data["teller"] == 2
    with db.transaction() as session:
        assert broadcast(session, "klaar", {}, "test").received == []

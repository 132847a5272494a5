"""Issue 18: BPMN signals run with Camunda 7's semantics. A signal is a broadcast: every
subscription waiting for it at that moment receives it, in every instance; every process
with a signal start event for it starts (its latest version). It is sent from outside (API,
CLI) with variables the receiving catalogues allow, or thrown by a diagram (intermediate
throw or end event) without variables."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from sqlalchemy import select

from app.cli import main
from app.engine import service
from app.engine.deploy import parse_files
from app.engine.errors import Conflict, DeploymentError, InvalidInput, NotFound
from app.engine.models import (
    HumanTask,
    InstanceEvent,
    ProcessInstance,
    SignalStart,
    SignalSubscription,
)
from app.engine.signals import broadcast
from tests.cases.support import token
from tests.support.camunda import write_diagram
from tests.support.engine import FIXTURES, deploy_paths, instance, open_tasks, start
from tests.support.orgs import organisation

HEAD = """<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
    xmlns:camunda="http://camunda.org/schema/1.0/bpmn" id="d_{key}" targetNamespace="t">
  <bpmn:signal id="sig_alarm" name="alarm" />
  <bpmn:signal id="sig_klaar" name="klaar" />
  <bpmn:process id="{key}" isExecutable="true">
"""
TAIL = """
  </bpmn:process>
</bpmn:definitions>
"""

SET_PATH = """<bpmn:scriptTask id="{id}" scriptFormat="python">
      <bpmn:script>pad = "{path}"</bpmn:script></bpmn:scriptTask>"""

# Waits at a signal catch, then notes the path.
WAITER = f"""
    <bpmn:startEvent id="s" />
    <bpmn:intermediateCatchEvent id="wacht"><bpmn:signalEventDefinition signalRef="sig_alarm" />
    </bpmn:intermediateCatchEvent>
    {SET_PATH.format(id="noteer", path="alarm")}
    <bpmn:endEvent id="e" />
    <bpmn:sequenceFlow id="f1" sourceRef="s" targetRef="wacht" />
    <bpmn:sequenceFlow id="f2" sourceRef="wacht" targetRef="noteer" />
    <bpmn:sequenceFlow id="f3" sourceRef="noteer" targetRef="e" />"""

# A user task first: not at the catch yet.
LATER = """
    <bpmn:startEvent id="s" />
    <bpmn:userTask id="eerst" />
    <bpmn:intermediateCatchEvent id="wacht"><bpmn:signalEventDefinition signalRef="sig_alarm" />
    </bpmn:intermediateCatchEvent>
    <bpmn:endEvent id="e" />
    <bpmn:sequenceFlow id="f1" sourceRef="s" targetRef="eerst" />
    <bpmn:sequenceFlow id="f2" sourceRef="eerst" targetRef="wacht" />
    <bpmn:sequenceFlow id="f3" sourceRef="wacht" targetRef="e" />"""

# Throws alarm on its way, and klaar at its end.
THROWER = """
    <bpmn:startEvent id="s" />
    <bpmn:intermediateThrowEvent id="gooi"><bpmn:signalEventDefinition signalRef="sig_alarm" />
    </bpmn:intermediateThrowEvent>
    <bpmn:endEvent id="e"><bpmn:signalEventDefinition signalRef="sig_klaar" /></bpmn:endEvent>
    <bpmn:sequenceFlow id="f1" sourceRef="s" targetRef="gooi" />
    <bpmn:sequenceFlow id="f2" sourceRef="gooi" targetRef="e" />"""

# Started by klaar (its only start event).
STARTED = f"""
    <bpmn:startEvent id="bij_klaar"><bpmn:signalEventDefinition signalRef="sig_klaar" />
    </bpmn:startEvent>
    {SET_PATH.format(id="noteer", path="gestart")}
    <bpmn:endEvent id="e" />
    <bpmn:sequenceFlow id="f1" sourceRef="bij_klaar" targetRef="noteer" />
    <bpmn:sequenceFlow id="f2" sourceRef="noteer" targetRef="e" />"""

# A plain start and a signal start on alarm.
TWO_STARTS = f"""
    <bpmn:startEvent id="gewoon" />
    <bpmn:startEvent id="bij_alarm"><bpmn:signalEventDefinition signalRef="sig_alarm" />
    </bpmn:startEvent>
    <bpmn:userTask id="kijken" />
    {SET_PATH.format(id="noteer", path="alarm")}
    <bpmn:endEvent id="e" /><bpmn:endEvent id="e2" />
    <bpmn:sequenceFlow id="f1" sourceRef="gewoon" targetRef="kijken" />
    <bpmn:sequenceFlow id="f2" sourceRef="kijken" targetRef="e" />
    <bpmn:sequenceFlow id="f3" sourceRef="bij_alarm" targetRef="noteer" />
    <bpmn:sequenceFlow id="f4" sourceRef="noteer" targetRef="e2" />"""


def boundary(interrupting: bool) -> str:
    cancel = "true" if interrupting else "false"
    return f"""
    <bpmn:startEvent id="s" />
    <bpmn:userTask id="werk" />
    <bpmn:boundaryEvent id="grens" attachedToRef="werk" cancelActivity="{cancel}">
      <bpmn:signalEventDefinition signalRef="sig_alarm" />
    </bpmn:boundaryEvent>
    {SET_PATH.format(id="noteer", path="grens")}
    <bpmn:endEvent id="e" /><bpmn:endEvent id="e2" />
    <bpmn:sequenceFlow id="f1" sourceRef="s" targetRef="werk" />
    <bpmn:sequenceFlow id="f2" sourceRef="werk" targetRef="e" />
    <bpmn:sequenceFlow id="f3" sourceRef="grens" targetRef="noteer" />
    <bpmn:sequenceFlow id="f4" sourceRef="noteer" targetRef="e2" />"""


def xml(key: str, body: str) -> str:
    return HEAD.format(key=key) + body + TAIL


FIELDS: dict[str, Any] = {"pad": "x", "bedrag": 1}


def deploy(db, tmp_path: Path, key: str, body: str, fields: dict[str, Any] | None = None) -> None:  # type: ignore[no-untyped-def]
    folder = tmp_path / key
    folder.mkdir(exist_ok=True)
    deploy_paths(db, write_diagram(folder, key, xml(key, body), fields or FIELDS, []))


def send(db, name: str, data: dict[str, Any] | None = None):  # type: ignore[no-untyped-def]
    with db.transaction() as session:
        return broadcast(session, name, data or {}, "test")


def waiting(db, name: str = "alarm") -> list[str]:  # type: ignore[no-untyped-def]
    with db.session() as session:
        return sorted(
            session.scalars(
                select(SignalSubscription.instance_id).where(
                    SignalSubscription.signal_name == name,
                    SignalSubscription.status == "waiting",
                )
            )
        )


def events(db, instance_id: str, kind: str) -> list[InstanceEvent]:  # type: ignore[no-untyped-def]
    with db.session() as session:
        rows = session.scalars(
            select(InstanceEvent).where(
                InstanceEvent.instance_id == instance_id, InstanceEvent.kind == kind
            )
        ).all()
        session.expunge_all()
        return list(rows)


def instances_of(db, key: str) -> list[ProcessInstance]:  # type: ignore[no-untyped-def]
    with db.session() as session:
        rows = session.scalars(
            select(ProcessInstance).where(ProcessInstance.definition_key == key)
        ).all()
        session.expunge_all()
        return list(rows)


# -- catch ------------------------------------------------------------------------------------


def test_one_broadcast_reaches_every_waiting_instance_and_no_other(db, clock, tmp_path) -> None:
    deploy(db, tmp_path, "wachter", WAITER)
    deploy(db, tmp_path, "later", LATER)
    first, second = start(db, "wachter", "W-1", {}), start(db, "wachter", "W-2", {})
    not_yet = start(db, "later", "L-1", {})
    assert waiting(db) == sorted([first, second])

    result = send(db, "alarm")
    assert sorted(result.received) == sorted([first, second]) and result.started == []
    for instance_id in (first, second):
        row = instance(db, instance_id)
        assert row.status == "completed" and row.data["pad"] == "alarm"
        [received] = events(db, instance_id, "signal_received")
        assert received.element_id == "wacht" and received.actor == "test"
        assert received.details["signal"] == "alarm"
    # Not at the catch when the signal came: it did not receive it, and waits now.
    assert instance(db, not_yet).status == "waiting"
    [task] = open_tasks(db, not_yet)
    with db.transaction() as session:
        service.complete_task(session, task.id, {}, "test")
    assert waiting(db) == [not_yet]
    assert events(db, not_yet, "signal_received") == []
    assert send(db, "alarm").received == [not_yet]
    assert instance(db, not_yet).status == "completed"
    assert send(db, "alarm").received == []  # nobody waits any more


def test_a_suspended_instance_does_not_receive(db, clock, tmp_path) -> None:
    deploy(db, tmp_path, "wachter", WAITER)
    instance_id = start(db, "wachter", "W-1", {})
    with db.transaction() as session:
        service.suspend_instance(session, instance_id, "test")
    assert send(db, "alarm").received == []
    with db.transaction() as session:
        service.resume_instance(session, instance_id, "test")
    assert send(db, "alarm").received == [instance_id]


# -- throw ------------------------------------------------------------------------------------


def test_a_throw_in_one_process_reaches_another(db, clock, tmp_path) -> None:
    deploy(db, tmp_path, "wachter", WAITER)
    deploy(db, tmp_path, "gestart", STARTED)
    deploy(db, tmp_path, "zender", THROWER)
    waiter = start(db, "wachter", "W-1", {})

    thrower = start(db, "zender", "Z-1", {})
    assert instance(db, thrower).status == "completed"
    assert [e.element_id for e in events(db, thrower, "signal_thrown")] == ["gooi", "e"]
    row = instance(db, waiter)
    assert row.status == "completed" and row.data["pad"] == "alarm"
    [received] = events(db, waiter, "signal_received")
    assert received.details["from"] == {"instance": thrower, "element": "gooi"}
    # The end event's signal started the process with a signal start on it.
    [started] = instances_of(db, "gestart")
    assert started.status == "completed" and started.data["pad"] == "gestart"
    [begun] = events(db, started.id, "instance_started")
    assert begun.details["start"] == "bij_klaar"


def test_a_throw_without_signal_delivery_loaded_is_an_error_not_a_silent_drop(
    db, clock, tmp_path, monkeypatch
) -> None:
    from app.engine import runtime

    deploy(db, tmp_path, "wachter", WAITER)
    deploy(db, tmp_path, "zender", THROWER)
    waiter = start(db, "wachter", "W-1", {})
    monkeypatch.setattr(runtime, "SIGNAL_DELIVERY", [])
    with pytest.raises(RuntimeError, match="app.assembly.install"):
        start(db, "zender", "Z-1", {})
    assert instance(db, waiter).status != "completed"


def test_a_throw_reaches_its_own_instance_too(db, clock, tmp_path) -> None:
    body = """
    <bpmn:startEvent id="s" />
    <bpmn:parallelGateway id="split" />
    <bpmn:intermediateCatchEvent id="wacht"><bpmn:signalEventDefinition signalRef="sig_alarm" />
    </bpmn:intermediateCatchEvent>
    <bpmn:userTask id="eerst" />
    <bpmn:intermediateThrowEvent id="gooi"><bpmn:signalEventDefinition signalRef="sig_alarm" />
    </bpmn:intermediateThrowEvent>
    <bpmn:parallelGateway id="samen" />
    <bpmn:endEvent id="e" />
    <bpmn:sequenceFlow id="f1" sourceRef="s" targetRef="split" />
    <bpmn:sequenceFlow id="f2" sourceRef="split" targetRef="wacht" />
    <bpmn:sequenceFlow id="f3" sourceRef="split" targetRef="eerst" />
    <bpmn:sequenceFlow id="f4" sourceRef="eerst" targetRef="gooi" />
    <bpmn:sequenceFlow id="f5" sourceRef="wacht" targetRef="samen" />
    <bpmn:sequenceFlow id="f6" sourceRef="gooi" targetRef="samen" />
    <bpmn:sequenceFlow id="f7" sourceRef="samen" targetRef="e" />"""
    deploy(db, tmp_path, "zelf", body)
    instance_id = start(db, "zelf", "Z-1", {})
    assert waiting(db) == [instance_id]
    [task] = open_tasks(db, instance_id)
    with db.transaction() as session:
        service.complete_task(session, task.id, {}, "test")
    assert instance(db, instance_id).status == "completed"
    assert waiting(db) == []


def test_signals_that_wake_each_other_in_a_circle_are_stopped(db, clock, tmp_path) -> None:
    body = """
    <bpmn:startEvent id="bij_alarm"><bpmn:signalEventDefinition signalRef="sig_alarm" />
    </bpmn:startEvent>
    <bpmn:endEvent id="e"><bpmn:signalEventDefinition signalRef="sig_alarm" /></bpmn:endEvent>
    <bpmn:sequenceFlow id="f1" sourceRef="bij_alarm" targetRef="e" />"""
    deploy(db, tmp_path, "kring", body)
    with pytest.raises(Conflict, match="in een kring"):
        send(db, "alarm")
    assert instances_of(db, "kring") == []  # nothing of it was kept


# -- start ------------------------------------------------------------------------------------


def test_a_signal_starts_the_latest_version_of_each_process(db, clock, tmp_path) -> None:
    deploy(db, tmp_path, "gestart", STARTED)
    deploy(db, tmp_path, "gestart", STARTED.replace('pad = "gestart"', 'pad = "v2"'))
    result = send(db, "klaar")
    [started] = instances_of(db, "gestart")
    assert result.started == [started.id]
    assert started.data["pad"] == "v2"  # version 2 only
    with db.session() as session:
        assert session.get(ProcessInstance, started.id).version.version == 2
        assert len(session.scalars(select(SignalStart)).all()) == 2  # one per version


def test_a_plain_start_does_not_wait_for_its_signal_start(db, clock, tmp_path) -> None:
    deploy(db, tmp_path, "twee", TWO_STARTS)
    plain = start(db, "twee", "T-1", {})
    assert [t.element_id for t in open_tasks(db, plain)] == ["kijken"]
    assert waiting(db) == []  # the signal start of a running instance never waits
    result = send(db, "alarm")
    assert result.received == [] and len(result.started) == 1
    by_signal = instance(db, result.started[0])
    assert by_signal.status == "completed" and by_signal.data["pad"] == "alarm"
    assert open_tasks(db, by_signal.id) == []
    assert [t.element_id for t in open_tasks(db, plain)] == ["kijken"]


def test_a_process_that_only_starts_on_a_signal_starts_plainly_at_it(db, clock, tmp_path) -> None:
    deploy(db, tmp_path, "gestart", STARTED)
    instance_id = start(db, "gestart", "G-1", {})  # Camunda 7: its only start event
    assert instance(db, instance_id).data["pad"] == "gestart"


# -- boundary ---------------------------------------------------------------------------------


def test_an_interrupting_signal_boundary_cancels_the_task(db, clock, tmp_path) -> None:
    deploy(db, tmp_path, "grenzen", boundary(interrupting=True))
    instance_id = start(db, "grenzen", "G-1", {})
    [task] = open_tasks(db, instance_id)
    assert send(db, "alarm").received == [instance_id]
    row = instance(db, instance_id)
    assert row.status == "completed" and row.data["pad"] == "grens"
    with db.session() as session:
        assert session.get(HumanTask, task.id).status == "cancelled"


def test_a_non_interrupting_signal_boundary_keeps_the_task(db, clock, tmp_path) -> None:
    body = boundary(interrupting=False).replace(
        SET_PATH.format(id="noteer", path="grens"), '<bpmn:userTask id="opvolgen" />'
    )
    body = body.replace('Ref="noteer"', 'Ref="opvolgen"')
    deploy(db, tmp_path, "grenzen", body)
    instance_id = start(db, "grenzen", "G-1", {})
    [task] = open_tasks(db, instance_id)
    assert send(db, "alarm").received == [instance_id]
    # The host stays open, and the boundary's path ran beside it (to its own task).
    tasks = {t.element_id: t.id for t in open_tasks(db, instance_id)}
    assert tasks == {"werk": task.id, "opvolgen": tasks["opvolgen"]}
    # Camunda 7: the boundary stays subscribed while the host is active.
    assert waiting(db) == [instance_id]
    assert send(db, "alarm").received == [instance_id]
    assert sorted(t.element_id for t in open_tasks(db, instance_id)) == [
        "opvolgen",
        "opvolgen",
        "werk",
    ]
    with db.transaction() as session:
        service.complete_task(session, task.id, {}, "test")
    assert waiting(db) == []  # the host is done: the boundary no longer listens
    for follow_up in open_tasks(db, instance_id):
        with db.transaction() as session:
            service.complete_task(session, follow_up.id, {}, "test")
    assert instance(db, instance_id).status == "completed"


# -- variables --------------------------------------------------------------------------------


def test_variables_enter_only_as_the_catalogues_allow(db, clock, tmp_path) -> None:
    deploy(db, tmp_path, "wachter", WAITER, {"pad": "x", "bedrag": 1})
    deploy(db, tmp_path, "gestart", STARTED, {"pad": "x"})
    instance_id = start(db, "wachter", "W-1", {})
    # bedrag is no field of `gestart`, which klaar would start: nothing is sent.
    with pytest.raises(InvalidInput) as refused:
        send(db, "klaar", {"bedrag": 5})
    assert "gestart" in refused.value.fields["bedrag"][0]
    assert instances_of(db, "gestart") == []
    with pytest.raises(InvalidInput) as refused:
        send(db, "alarm", {"bedrag": "veel"})  # not a number
    assert list(refused.value.fields) == ["bedrag"]
    with pytest.raises(InvalidInput):
        send(db, "alarm", {"geheim": 1})
    assert waiting(db) == [instance_id]  # nothing was delivered

    assert send(db, "alarm", {"bedrag": 5}).received == [instance_id]
    row = instance(db, instance_id)
    assert row.data["bedrag"] == 5 and row.data["pad"] == "alarm"
    [received] = events(db, instance_id, "signal_received")
    assert received.details["fields"] == ["bedrag"]


# -- deploy -----------------------------------------------------------------------------------


def _refused(tmp_path: Path, body: str) -> list:
    path = write_diagram(tmp_path, "fout", xml("fout", body), FIELDS, [])
    with pytest.raises(DeploymentError) as caught:
        parse_files([path], FIXTURES)
    return caught.value.problems


@pytest.mark.parametrize(
    ("body", "element", "words"),
    [
        (
            WAITER.replace('signalRef="sig_alarm"', ""),
            "wacht",
            "zonder signalRef",
        ),
        (
            WAITER.replace('signalRef="sig_alarm"', 'signalRef="sig_onbekend"'),
            "wacht",
            "verwijst naar geen signaal",
        ),
        (
            THROWER.replace(
                '<bpmn:signalEventDefinition signalRef="sig_alarm" />',
                '<bpmn:signalEventDefinition signalRef="sig_alarm"><bpmn:extensionElements>'
                '<camunda:in variables="all" /></bpmn:extensionElements>'
                "</bpmn:signalEventDefinition>",
            ),
            "gooi",
            "variabelen meegeven met een signaal",
        ),
        (
            """<bpmn:startEvent id="s" /><bpmn:subProcess id="sub">
            <bpmn:startEvent id="ss"><bpmn:signalEventDefinition signalRef="sig_alarm" />
            </bpmn:startEvent></bpmn:subProcess>
            <bpmn:sequenceFlow id="f1" sourceRef="s" targetRef="sub" />""",
            "ss",
            "alleen op het hoogste niveau",
        ),
        (
            STARTED.replace(
                '<bpmn:endEvent id="e" />',
                '<bpmn:startEvent id="nog_een"><bpmn:signalEventDefinition '
                'signalRef="sig_klaar" /></bpmn:startEvent><bpmn:endEvent id="e" />',
            ),
            "nog_een",
            "twee signaalstarts",
        ),
    ],
)
def test_what_cannot_run_is_refused(tmp_path: Path, body: str, element: str, words: str) -> None:
    problems = _refused(tmp_path, body)
    assert any(p.element == element and words in p.message for p in problems), problems


def test_a_signal_name_with_an_expression_is_refused(tmp_path: Path) -> None:
    path = write_diagram(
        tmp_path,
        "fout",
        xml("fout", WAITER).replace('name="alarm"', 'name="alarm-${zaak}"'),
        FIELDS,
        [],
    )
    with pytest.raises(DeploymentError) as caught:
        parse_files([path], FIXTURES)
    [problem] = caught.value.problems
    assert problem.element == "sig_alarm" and "vaste naam" in problem.message


# -- the doors --------------------------------------------------------------------------------


def test_the_api_sends_a_signal_for_operators_only(app, client, db, clock, tmp_path, auth) -> None:
    deploy(db, tmp_path, "wachter", WAITER)
    instance_id = start(db, "wachter", "W-1", {})
    organisation(db, "ymere", "woningcorporatie")
    partner = {"Authorization": f"Bearer {token(db, 'ymere', ['messages:write'])}"}
    answer = client.post("/api/v1/bpmn-signals", headers=partner, json={"name": "alarm"})
    assert answer.status_code == 403
    refused = client.post(
        "/api/v1/bpmn-signals", headers=auth, json={"name": "alarm", "data": {"geheim": 1}}
    )
    assert refused.status_code == 422 and "geheim" in refused.get_json()["errors"]
    sent = client.post(
        "/api/v1/bpmn-signals", headers=auth, json={"name": "alarm", "data": {"bedrag": 3}}
    )
    assert sent.status_code == 200, sent.get_json()
    assert sent.get_json() == {
        "name": "alarm",
        "received": [instance_id],
        "started": [],
        "refused": [],
    }
    assert instance(db, instance_id).data["bedrag"] == 3
    # The data it brought into the case is a processing of personal data: logged per case.
    from app.privacy.models import AuditLog, ProcessingLog

    with db.session() as session:
        [line] = session.scalars(select(ProcessingLog)).all()
        [audit] = session.scalars(
            select(AuditLog).where(AuditLog.action == "signaal.afleveren")
        ).all()
        assert (line.name, line.attributes["doel"]) == ("casusgegevens vastleggen", "signaal alarm")
        assert (audit.object_id, audit.details["velden"]) == (instance_id, ["bedrag"])
    spec = client.get("/api/v1/openapi.json", headers=auth).get_json()
    operation = spec["paths"]["/api/v1/bpmn-signals"]["post"]
    assert "Broadcast" in str(operation["responses"]["200"])
    assert "Signal" in str(operation["requestBody"])


def test_the_command_sends_a_signal(db, clock, tmp_path) -> None:
    deploy(db, tmp_path, "wachter", WAITER)
    instance_id = start(db, "wachter", "W-1", {})
    result = CliRunner().invoke(
        main,
        ["--database", db.url, "signal", "send", "alarm", "--var", "bedrag=7"],
        catch_exceptions=False,
    )
    assert result.exit_code == 0, result.output
    assert f"ontvangen {instance_id}" in result.output
    assert instance(db, instance_id).data["bedrag"] == 7
    # Logged as the API logs it: the door does not change what happened to the data.
    from app.privacy.models import AuditLog, ProcessingLog

    with db.session() as session:
        [line] = session.scalars(select(ProcessingLog)).all()
        [audit] = session.scalars(
            select(AuditLog).where(AuditLog.action == "signaal.afleveren")
        ).all()
        assert line.attributes["doel"] == "signaal alarm"
        assert (audit.actor, audit.object_id) == ("system:cli", instance_id)
    bad = CliRunner().invoke(main, ["--database", db.url, "signal", "send", "alarm", "--var", "x"])
    assert bad.exit_code != 0 and "NAAM=WAARDE" in bad.output


GATEWAY = f"""
    <bpmn:startEvent id="s" />
    <bpmn:eventBasedGateway id="welke" />
    <bpmn:intermediateCatchEvent id="betaald">
      <bpmn:messageEventDefinition messageRef="m_betaald" />
    </bpmn:intermediateCatchEvent>
    <bpmn:intermediateCatchEvent id="bij_alarm">
      <bpmn:signalEventDefinition signalRef="sig_alarm" />
    </bpmn:intermediateCatchEvent>
    {SET_PATH.format(id="noteer_betaald", path="betaald")}
    {SET_PATH.format(id="noteer_alarm", path="alarm")}
    <bpmn:endEvent id="e" /><bpmn:endEvent id="e2" />
    <bpmn:sequenceFlow id="f1" sourceRef="s" targetRef="welke" />
    <bpmn:sequenceFlow id="f2" sourceRef="welke" targetRef="betaald" />
    <bpmn:sequenceFlow id="f3" sourceRef="welke" targetRef="bij_alarm" />
    <bpmn:sequenceFlow id="f4" sourceRef="betaald" targetRef="noteer_betaald" />
    <bpmn:sequenceFlow id="f5" sourceRef="bij_alarm" targetRef="noteer_alarm" />
    <bpmn:sequenceFlow id="f6" sourceRef="noteer_betaald" targetRef="e" />
    <bpmn:sequenceFlow id="f7" sourceRef="noteer_alarm" targetRef="e2" />"""


def test_an_event_based_gateway_takes_a_signal_branch(db, clock, tmp_path) -> None:
    message = '<bpmn:message id="m_betaald" name="betaald" />'
    body = GATEWAY
    folder = tmp_path / "poort"
    folder.mkdir()
    text = xml("poort", body).replace("<bpmn:process", message + "\n  <bpmn:process")
    deploy_paths(db, write_diagram(folder, "poort", text, FIELDS, []))
    first, second = start(db, "poort", "P-1", {}), start(db, "poort", "P-2", {})
    assert waiting(db) == sorted([first, second])
    with db.transaction() as session:
        service.deliver_message(session, "betaald", "P-1", {})
    assert instance(db, first).data["pad"] == "betaald"
    assert waiting(db) == [second]  # the first's signal branch was withdrawn
    assert send(db, "alarm").received == [second]
    row = instance(db, second)
    assert row.status == "completed" and row.data["pad"] == "alarm"
    with pytest.raises(NotFound), db.transaction() as session:
        service.deliver_message(session, "betaald", "P-2", {})


def test_an_async_throw_is_delivered_in_the_same_transaction(db, clock, tmp_path) -> None:
    """camunda:async on the signal of a throw (the Modeler's "Asynchronous" box) changes
    nothing here: delivery happens when the thrower is saved."""
    deploy(db, tmp_path, "wachter", WAITER)
    deploy(
        db,
        tmp_path,
        "zender",
        THROWER.replace(
            'signalRef="sig_alarm" />', 'signalRef="sig_alarm" camunda:async="true" />'
        ),
    )
    waiter = start(db, "wachter", "W-1", {})
    start(db, "zender", "Z-1", {})
    assert instance(db, waiter).status == "completed"


def test_a_start_without_its_required_data_refuses_the_broadcast(db, clock, tmp_path) -> None:
    needs = STARTED.replace('pad = "gestart"', "pad = str(bedrag)")
    folder = tmp_path / "gestart"
    folder.mkdir()
    deploy_paths(db, write_diagram(folder, "gestart", xml("gestart", needs), FIELDS, ["bedrag"]))
    with pytest.raises(InvalidInput) as refused:
        send(db, "klaar")
    assert "signaal 'klaar' start proces 'gestart'" in refused.value.message
    assert refused.value.fields == {"bedrag": ["ontbreekt"]}
    assert send(db, "klaar", {"bedrag": 4}).started
    [started] = instances_of(db, "gestart")
    assert started.data["pad"] == "4"


def test_signals_reach_into_sub_processes(db, clock, tmp_path) -> None:
    """A catch inside an embedded sub-process waits like any other; an interrupting signal
    boundary on a sub-process cancels all of it."""
    body = f"""
    <bpmn:startEvent id="s" />
    <bpmn:subProcess id="binnen">
      <bpmn:startEvent id="bs" />
      <bpmn:parallelGateway id="split" />
      <bpmn:userTask id="werk" />
      <bpmn:intermediateCatchEvent id="wacht_klaar">
        <bpmn:signalEventDefinition signalRef="sig_klaar" />
      </bpmn:intermediateCatchEvent>
      <bpmn:sequenceFlow id="b1" sourceRef="bs" targetRef="split" />
      <bpmn:sequenceFlow id="b2" sourceRef="split" targetRef="werk" />
      <bpmn:sequenceFlow id="b3" sourceRef="split" targetRef="wacht_klaar" />
    </bpmn:subProcess>
    <bpmn:boundaryEvent id="stop" attachedToRef="binnen">
      <bpmn:signalEventDefinition signalRef="sig_alarm" />
    </bpmn:boundaryEvent>
    {SET_PATH.format(id="noteer", path="gestopt")}
    <bpmn:endEvent id="e" /><bpmn:endEvent id="e2" />
    <bpmn:sequenceFlow id="f1" sourceRef="s" targetRef="binnen" />
    <bpmn:sequenceFlow id="f2" sourceRef="binnen" targetRef="e" />
    <bpmn:sequenceFlow id="f3" sourceRef="stop" targetRef="noteer" />
    <bpmn:sequenceFlow id="f4" sourceRef="noteer" targetRef="e2" />"""
    deploy(db, tmp_path, "sub", body)
    instance_id = start(db, "sub", "S-1", {})
    assert waiting(db, "klaar") == [instance_id] and waiting(db, "alarm") == [instance_id]
    assert send(db, "klaar").received == [instance_id]
    assert waiting(db, "klaar") == [] and len(open_tasks(db, instance_id)) == 1
    assert send(db, "alarm").received == [instance_id]
    row = instance(db, instance_id)
    assert row.status == "completed" and row.data["pad"] == "gestopt"
    assert open_tasks(db, instance_id) == [] and waiting(db, "alarm") == []


def test_the_managers_page_shows_where_an_instance_waits_for_a_signal(db, clock, tmp_path) -> None:
    from app.manage.instance import instance_page

    deploy(db, tmp_path, "wachter", WAITER)
    instance_id = start(db, "wachter", "W-1", {})
    with db.session() as session:
        page = instance_page(session, session.get(ProcessInstance, instance_id))
        assert [(s.element_id, s.signal_name, s.status) for s in page.signals] == [
            ("wacht", "alarm", "waiting")
        ]
        assert page.diagram["markers"]["current"] == ["wacht"]


def test_the_instance_page_lists_the_signal_awaited(db, clock, settings, tmp_path) -> None:
    import dataclasses

    from app.web import create_app
    from tests.auth.test_login import login
    from tests.support.orgs import user

    deploy(db, tmp_path, "wachter", WAITER)
    instance_id = start(db, "wachter", "W-1", {})
    organisation(db, "installatie", "gemeente")
    user(db, "olaf", "installatie", roles=("beheerder",))
    app = create_app(dataclasses.replace(settings, totp_roles=frozenset()), db, testing=True)
    client = app.test_client()
    login(client, "olaf")
    page = client.get(f"/processen/instanties/{instance_id}")
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert "Signalen (1)" in text and "alarm" in text and "Wacht op signaal" in text

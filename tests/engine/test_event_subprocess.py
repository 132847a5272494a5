"""Issue 18: event sub-processes (`triggeredByEvent="true"`) run as Camunda 7 runs them, in
the process and inside embedded sub-processes: timer, message, signal and error starts,
interrupting (everything active in the scope is cancelled, the scope ends with the event
sub-process) and non-interrupting (beside the work, again and again; the scope waits for
it). When the scope ends, its listening starts are withdrawn. SpiffWorkflow 3.2 alone did
none of this (app/engine/event_subprocess.py)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from app.engine import modification, service
from app.engine.deploy import parse_files
from app.engine.errors import DeploymentError
from app.engine.migration import migrate
from app.engine.models import (
    HumanTask,
    MessageSubscription,
    ProcessVersion,
    SignalSubscription,
    Timer,
)
from app.engine.runtime import Execution, clear_spec_cache
from app.engine.signals import broadcast
from app.engine.timers import drain_timers
from tests.support.camunda import write_diagram
from tests.support.engine import FIXTURES, deploy_paths, instance, open_tasks, start

HEAD = """<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
    xmlns:camunda="http://camunda.org/schema/1.0/bpmn"
    xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" id="d" targetNamespace="t">
  <bpmn:message id="m_in" name="ingetrokken" />
  <bpmn:message id="m_vraag" name="vraag" />
  <bpmn:signal id="sig_stop" name="stop" />
  <bpmn:error id="err_a" errorCode="A" camunda:errorMessage="Fout A" />
  <bpmn:error id="err_b" errorCode="B" />
  <bpmn:error id="err_te_hoog" errorCode="TE_HOOG" />
  <bpmn:process id="esp" isExecutable="true">
"""
TAIL = """
  </bpmn:process>
</bpmn:definitions>
"""
PARTY = (
    '<bpmn:extensionElements><camunda:properties><camunda:property name="partij" '
    'value="behandelaar" /></camunda:properties></bpmn:extensionElements>'
)
SECOND = timedelta(seconds=1)
FIELDS: dict[str, Any] = {"pad": "x", "teller": 1, "code": "x", "melding": "x", "bedrag": 1}


def user_task(task_id: str) -> str:
    return f'<bpmn:userTask id="{task_id}">{PARTY}</bpmn:userTask>'


def script(task_id: str, text: str) -> str:
    return (
        f'<bpmn:scriptTask id="{task_id}" scriptFormat="python">'
        f"<bpmn:script>{text}</bpmn:script></bpmn:scriptTask>"
    )


def event_sub(sub_id: str, start: str, body: str, interrupting: bool = True) -> str:
    """An event sub-process: its start (a definition), then `body` (element ids a, b...
    chained from the start to an end)."""
    flag = "" if interrupting else ' isInterrupting="false"'
    return f"""
    <bpmn:subProcess id="{sub_id}" triggeredByEvent="true">
      <bpmn:startEvent id="{sub_id}_start"{flag}>{start}</bpmn:startEvent>
      {body}
      <bpmn:endEvent id="{sub_id}_end" />
    </bpmn:subProcess>"""


def chain(scope_id: str, *ids: str) -> str:
    """Sequence flows from `ids[0]` through to the last, ids prefixed by scope."""
    return "".join(
        f'<bpmn:sequenceFlow id="{scope_id}_f{n}" sourceRef="{a}" targetRef="{b}" />'
        for n, (a, b) in enumerate(zip(ids, ids[1:], strict=False))
    )


def with_flows(sub: str, sub_id: str, *inner: str) -> str:
    """Insert the event sub-process's flows (start -> inner... -> end) before its close."""
    flows = chain(sub_id, f"{sub_id}_start", *inner, f"{sub_id}_end")
    head, _, tail = sub.rpartition("</bpmn:subProcess>")
    return head + flows + "</bpmn:subProcess>" + tail


def timer(kind: str, value: str) -> str:
    return (
        f"<bpmn:timerEventDefinition><bpmn:{kind}>{value}</bpmn:{kind}></bpmn:timerEventDefinition>"
    )


MESSAGE = '<bpmn:messageEventDefinition messageRef="m_in" />'
VRAAG = '<bpmn:messageEventDefinition messageRef="m_vraag" />'
SIGNAL = '<bpmn:signalEventDefinition signalRef="sig_stop" />'

# The work: a user task between start and end, and what is around it.
WORK = f'<bpmn:startEvent id="s" />{user_task("werk")}<bpmn:endEvent id="e" />' + chain(
    "main", "s", "werk", "e"
)


def deploy(db, tmp_path: Path, body: str, data: dict[str, Any] | None = None) -> str:  # type: ignore[no-untyped-def]
    path = write_diagram(tmp_path, "esp", HEAD + body + TAIL, FIELDS, sorted(data or {}))
    deploy_paths(db, path)
    return start(db, "esp", "E-1", data or {})


def tasks(db, instance_id: str) -> list[str]:  # type: ignore[no-untyped-def]
    return sorted(t.element_id for t in open_tasks(db, instance_id))


def complete(db, instance_id: str, element: str, data: dict[str, Any] | None = None) -> None:  # type: ignore[no-untyped-def]
    task = next(t for t in open_tasks(db, instance_id) if t.element_id == element)
    with db.transaction() as session:
        service.complete_task(session, task.id, data or {}, "anna")


def rows(db, model: Any, instance_id: str) -> list[tuple[str, str]]:  # type: ignore[no-untyped-def]
    with db.session() as session:
        found = session.scalars(select(model).where(model.instance_id == instance_id)).all()
        return sorted((r.element_id, r.status) for r in found)


def message(db, name: str = "ingetrokken", data: dict[str, Any] | None = None) -> None:  # type: ignore[no-untyped-def]
    with db.transaction() as session:
        service.deliver_message(session, name, "E-1", data or {}, "corporatie")


# -- timers -----------------------------------------------------------------------------------


def test_an_interrupting_timer_cancels_the_work_and_ends_the_process(db, clock, tmp_path) -> None:
    clock.set(datetime(2026, 3, 2, 8, 0, tzinfo=UTC))
    sub = with_flows(
        event_sub("tijd_om", timer("timeDuration", "P30D"), user_task("te_laat")),
        "tijd_om",
        "te_laat",
    )
    instance_id = deploy(db, tmp_path, WORK + sub)
    assert tasks(db, instance_id) == ["werk"]
    assert rows(db, Timer, instance_id) == [("tijd_om_start", "waiting")]
    with db.session() as session:
        [due] = session.scalars(select(Timer.due_at)).all()
    # Counted from the scope's start.
    assert abs(due.replace(tzinfo=UTC) - datetime(2026, 4, 1, 8, 0, tzinfo=UTC)) < SECOND

    clock.advance(timedelta(days=29))
    assert drain_timers(db, 10) == 0
    clear_spec_cache()  # a worker restarted: the spec comes from the database again
    clock.advance(timedelta(days=1, minutes=1))
    assert drain_timers(db, 10) == 1
    assert drain_timers(db, 10) == 0  # fired once
    assert tasks(db, instance_id) == ["te_laat"]  # the work left the inbox
    assert ("werk", "cancelled") in rows(db, HumanTask, instance_id)
    assert instance(db, instance_id).status == "waiting"
    complete(db, instance_id, "te_laat")
    assert instance(db, instance_id).status == "completed"


def test_a_scope_that_ends_withdraws_its_listening_starts(db, clock, tmp_path) -> None:
    subs = (
        with_flows(event_sub("tijd_om", timer("timeDuration", "P30D"), ""), "tijd_om")
        + with_flows(event_sub("bericht", MESSAGE, ""), "bericht")
        + with_flows(event_sub("signaal", SIGNAL, "", interrupting=False), "signaal")
    )
    instance_id = deploy(db, tmp_path, WORK + subs)
    assert rows(db, MessageSubscription, instance_id) == [("bericht_start", "waiting")]
    assert rows(db, SignalSubscription, instance_id) == [("signaal_start", "waiting")]
    complete(db, instance_id, "werk")
    # SpiffWorkflow kept the process waiting for its event sub-processes' timer.
    assert instance(db, instance_id).status == "completed"
    assert rows(db, Timer, instance_id) == [("tijd_om_start", "cancelled")]
    assert rows(db, MessageSubscription, instance_id) == [("bericht_start", "cancelled")]
    assert rows(db, SignalSubscription, instance_id) == [("signaal_start", "cancelled")]
    clock.advance(timedelta(days=31))
    assert drain_timers(db, 10) == 0


def test_a_non_interrupting_cycle_runs_beside_the_work_and_the_scope_waits(
    db, clock, tmp_path
) -> None:
    clock.set(datetime(2026, 3, 2, 8, 0, tzinfo=UTC))
    sub = with_flows(
        event_sub("herinnering", timer("timeCycle", "R3/PT1H"), user_task("herinneren"), False),
        "herinnering",
        "herinneren",
    )
    instance_id = deploy(db, tmp_path, WORK + sub)
    for hour in (1, 2):
        clock.advance(timedelta(hours=1, minutes=1 if hour == 1 else 0))
        assert drain_timers(db, 10) == 1
        assert drain_timers(db, 10) == 0
    assert tasks(db, instance_id) == ["herinneren", "herinneren", "werk"]  # the work stays
    with db.session() as session:
        waiting = session.scalars(select(Timer.due_at).where(Timer.status == "waiting")).all()
    [due] = waiting
    assert abs(due.replace(tzinfo=UTC) - datetime(2026, 3, 2, 11, 0, tzinfo=UTC)) < SECOND
    complete(db, instance_id, "werk")
    # The scope waits for the running reminders, and listens until they end: the third
    # and last cycle (R3) still comes.
    assert instance(db, instance_id).status == "waiting"
    clock.advance(timedelta(hours=5))
    assert drain_timers(db, 10) == 1
    assert drain_timers(db, 10) == 0
    assert tasks(db, instance_id) == ["herinneren"] * 3
    assert rows(db, Timer, instance_id).count(("herinnering_start", "waiting")) == 0
    for left in (2, 1, 0):
        complete(db, instance_id, "herinneren")
        assert instance(db, instance_id).status == ("waiting" if left else "completed")


# -- messages and signals ---------------------------------------------------------------------


def test_an_interrupting_message_in_a_sub_process_ends_only_that_sub_process(
    db, clock, tmp_path
) -> None:
    sub = with_flows(
        event_sub("intrekking", MESSAGE, script("noteer", 'pad = "ingetrokken " + pad')),
        "intrekking",
        "noteer",
    )
    body = f"""
    <bpmn:startEvent id="s" />
    <bpmn:subProcess id="deel">
      <bpmn:startEvent id="deel_s" />{user_task("eerst")}{user_task("werk")}
      <bpmn:endEvent id="deel_e" />{chain("deel", "deel_s", "eerst", "werk", "deel_e")}
      {sub}
    </bpmn:subProcess>
    {user_task("daarna")}
    <bpmn:endEvent id="e" />{chain("main", "s", "deel", "daarna", "e")}"""
    instance_id = deploy(db, tmp_path, body, {"pad": "start"})
    assert rows(db, MessageSubscription, instance_id) == [("intrekking_start", "waiting")]
    complete(db, instance_id, "eerst", {"pad": "bijgewerkt"})
    message(db)
    assert tasks(db, instance_id) == ["daarna"]  # werk cancelled, the sub-process ended
    assert ("werk", "cancelled") in rows(db, HumanTask, instance_id)
    # The scope's variables as they are now, not as they were when it began.
    assert instance(db, instance_id).data["pad"] == "ingetrokken bijgewerkt"
    complete(db, instance_id, "daarna")
    assert instance(db, instance_id).status == "completed"


@pytest.mark.parametrize("writer", [0, 1], ids=["first-writes", "second-writes"])
def test_a_non_interrupting_message_fires_each_time_and_keeps_the_work(
    db, clock, tmp_path, writer: int
) -> None:
    sub = with_flows(
        event_sub("vragen", VRAAG, user_task("beantwoorden"), interrupting=False),
        "vragen",
        "beantwoorden",
    )
    instance_id = deploy(db, tmp_path, WORK + sub)
    message(db, "vraag")
    clock.advance(timedelta(minutes=1))
    message(db, "vraag")
    assert tasks(db, instance_id) == ["beantwoorden", "beantwoorden", "werk"]
    assert rows(db, MessageSubscription, instance_id).count(("vragen_start", "waiting")) == 1
    answers = sorted(
        (t for t in open_tasks(db, instance_id) if t.element_id == "beantwoorden"),
        key=lambda t: t.created_at,
    )
    with db.transaction() as session:
        service.complete_task(session, answers[writer].id, {"teller": 7}, "anna")
    complete(db, instance_id, "werk", {"pad": "werk"})
    # The scope waits for the running one, and listens until it ends.
    assert instance(db, instance_id).status == "waiting"
    assert rows(db, MessageSubscription, instance_id).count(("vragen_start", "waiting")) == 1
    with db.transaction() as session:
        service.complete_task(session, answers[1 - writer].id, {}, "anna")
    assert rows(db, MessageSubscription, instance_id).count(("vragen_start", "waiting")) == 0
    row = instance(db, instance_id)
    assert row.status == "completed"
    # Both the work's and the event sub-process's writes are kept.
    assert row.data["pad"] == "werk" and row.data["teller"] == 7


@pytest.mark.parametrize("interrupting", [True, False], ids=["interrupting", "non-interrupting"])
def test_a_signal_starts_the_event_sub_process(db, clock, tmp_path, interrupting: bool) -> None:
    sub = with_flows(
        event_sub("gestopt", SIGNAL, script("noteer", 'pad = "gestopt"'), interrupting),
        "gestopt",
        "noteer",
    )
    instance_id = deploy(db, tmp_path, WORK + sub)
    with db.transaction() as session:
        assert broadcast(session, "stop", {}, "test").received == [instance_id]
    if interrupting:
        assert instance(db, instance_id).status == "completed"
        assert ("werk", "cancelled") in rows(db, HumanTask, instance_id)
        assert instance(db, instance_id).data["pad"] == "gestopt"
    else:
        assert tasks(db, instance_id) == ["werk"]
        assert rows(db, SignalSubscription, instance_id).count(("gestopt_start", "waiting")) == 1
        with db.transaction() as session:
            assert broadcast(session, "stop", {}, "test").received == [instance_id]
        complete(db, instance_id, "werk")
        assert instance(db, instance_id).status == "completed"
        assert instance(db, instance_id).data["pad"] == "gestopt"


# -- errors -----------------------------------------------------------------------------------


def _error_process(catch_all: bool) -> str:
    variables = 'camunda:errorCodeVariable="code" camunda:errorMessageVariable="melding"'
    specific = with_flows(
        event_sub("fout_a", f'<bpmn:errorEventDefinition errorRef="err_a" {variables} />', ""),
        "fout_a",
    )
    others = with_flows(
        event_sub("alle_fouten", f"<bpmn:errorEventDefinition {variables} />", ""),
        "alle_fouten",
    )
    return f"""
    <bpmn:startEvent id="s" />
    <bpmn:subProcess id="deel">
      <bpmn:startEvent id="deel_s" />
      <bpmn:exclusiveGateway id="welke" />
      <bpmn:endEvent id="gooi_a"><bpmn:errorEventDefinition errorRef="err_a" /></bpmn:endEvent>
      <bpmn:endEvent id="gooi_b"><bpmn:errorEventDefinition errorRef="err_b" /></bpmn:endEvent>
      <bpmn:sequenceFlow id="d1" sourceRef="deel_s" targetRef="welke" />
      <bpmn:sequenceFlow id="d2" sourceRef="welke" targetRef="gooi_a">
        <bpmn:conditionExpression xsi:type="bpmn:tFormalExpression"
          >${{pad == 'a'}}</bpmn:conditionExpression>
      </bpmn:sequenceFlow>
      <bpmn:sequenceFlow id="d3" sourceRef="welke" targetRef="gooi_b">
        <bpmn:conditionExpression xsi:type="bpmn:tFormalExpression"
          >${{pad != 'a'}}</bpmn:conditionExpression>
      </bpmn:sequenceFlow>
    </bpmn:subProcess>
    {user_task("daarna")}
    <bpmn:endEvent id="e" />{chain("main", "s", "deel", "daarna", "e")}
    {specific}{others if catch_all else ""}"""


@pytest.mark.parametrize(
    ("pad", "code", "melding"), [("a", "A", "Fout A"), ("b", "B", None)], ids=["A", "B"]
)
def test_an_error_in_the_scope_is_caught_by_the_error_event_sub_process(
    db, clock, tmp_path, pad: str, code: str, melding: str | None
) -> None:
    """The error leaves the inner sub-process (no catch there) and is caught by the
    process's error event sub-process: the path after the sub-process is not taken. One
    with the code before the catch-all."""
    instance_id = deploy(db, tmp_path, _error_process(catch_all=True), {"pad": pad})
    row = instance(db, instance_id)
    assert row.status == "completed"
    assert tasks(db, instance_id) == []
    assert rows(db, HumanTask, instance_id) == []  # daarna never opened
    assert row.data["code"] == code and row.data["melding"] == melding


def test_an_error_nobody_catches_ends_its_path_as_a_none_end(db, clock, tmp_path) -> None:
    """Code B, and only an event sub-process for A: Camunda 7 ends the path as a none end
    event would; the sub-process completes and the process goes on."""
    instance_id = deploy(db, tmp_path, _error_process(catch_all=False), {"pad": "b"})
    assert tasks(db, instance_id) == ["daarna"]
    complete(db, instance_id, "daarna")
    assert instance(db, instance_id).status == "completed"


def test_a_handler_bpmn_error_is_caught_by_an_error_event_sub_process(
    db, clock, settings, tmp_path
) -> None:
    from app.engine.jobs import run_due_jobs

    sub = with_flows(
        event_sub(
            "te_hoog",
            '<bpmn:errorEventDefinition errorRef="err_te_hoog" camunda:errorCodeVariable="code" '
            'camunda:errorMessageVariable="melding" />',
            "",
        ),
        "te_hoog",
    )
    body = f"""
    <bpmn:startEvent id="s" />
    <bpmn:serviceTask id="toetsen" camunda:type="external" camunda:topic="test.toets">
      <bpmn:extensionElements><camunda:inputOutput>
        <camunda:inputParameter name="waarde">${{bedrag}}</camunda:inputParameter>
      </camunda:inputOutput></bpmn:extensionElements>
    </bpmn:serviceTask>
    {user_task("daarna")}<bpmn:endEvent id="e" />{chain("main", "s", "toetsen", "daarna", "e")}
    {sub}"""
    FIELDS["verdubbeld"] = 1
    try:
        instance_id = deploy(db, tmp_path, body, {"bedrag": 150})
    finally:
        FIELDS.pop("verdubbeld")
    run_due_jobs(db, settings, "w")
    row = instance(db, instance_id)
    assert row.status == "completed" and tasks(db, instance_id) == []
    assert row.data["code"] == "TE_HOOG" and row.data["melding"] == "150 is meer dan 100"


# -- deploy refuses what does not run ---------------------------------------------------------


@pytest.mark.parametrize(
    ("start", "flag", "words"),
    [
        ("", "", "start alleen op een gebeurtenis"),
        (
            "<bpmn:conditionalEventDefinition><bpmn:condition>${a}</bpmn:condition>"
            "</bpmn:conditionalEventDefinition>",
            "",
            "voorwaardelijke",
        ),
        ('<bpmn:escalationEventDefinition escalationRef="x" />', "", "escalatie"),
        (
            '<bpmn:errorEventDefinition errorRef="err_a" />',
            ' isInterrupting="false"',
            "onderbreekt",
        ),
        (timer("timeCycle", "R/PT1H"), "", "herhalende timer"),
    ],
    ids=["none", "conditional", "escalation", "error non-interrupting", "interrupting cycle"],
)
def test_deploy_refuses_event_sub_process_starts_it_cannot_run(
    tmp_path, start: str, flag: str, words: str
) -> None:
    sub = f"""
    <bpmn:subProcess id="esp_sub" triggeredByEvent="true">
      <bpmn:startEvent id="esp_start"{flag}>{start}</bpmn:startEvent>
      <bpmn:endEvent id="esp_end" />{chain("x", "esp_start", "esp_end")}
    </bpmn:subProcess>"""
    path = tmp_path / "esp.bpmn"
    path.write_text(HEAD + WORK + sub + TAIL)
    with pytest.raises(DeploymentError) as caught:
        parse_files([path], FIXTURES)
    problems = [p for p in caught.value.problems if p.element == "esp_start"]
    assert problems and any(words in p.message for p in problems), caught.value.problems
    assert all(p.line for p in problems)


def test_deploy_refuses_an_event_sub_process_with_two_starts(tmp_path) -> None:
    sub = f"""
    <bpmn:subProcess id="esp_sub" triggeredByEvent="true">
      <bpmn:startEvent id="een">{MESSAGE}</bpmn:startEvent>
      <bpmn:startEvent id="twee">{SIGNAL}</bpmn:startEvent>
      <bpmn:endEvent id="esp_end" />{chain("x", "een", "esp_end")}{chain("y", "twee", "esp_end")}
    </bpmn:subProcess>"""
    path = tmp_path / "esp.bpmn"
    path.write_text(HEAD + WORK + sub + TAIL)
    with pytest.raises(DeploymentError) as caught:
        parse_files([path], FIXTURES)
    [problem] = [p for p in caught.value.problems if p.element == "esp_sub"]
    assert "precies één startgebeurtenis" in problem.message and problem.line


# -- inside an embedded sub-process -----------------------------------------------------------


def test_a_timer_counts_from_the_start_of_its_sub_process(db, clock, tmp_path) -> None:
    clock.set(datetime(2026, 3, 2, 8, 0, tzinfo=UTC))
    sub = with_flows(event_sub("te_laat", timer("timeDuration", "PT2H"), ""), "te_laat")
    body = f"""
    <bpmn:startEvent id="s" />{user_task("eerst")}
    <bpmn:subProcess id="deel">
      <bpmn:startEvent id="deel_s" />{user_task("werk")}
      <bpmn:endEvent id="deel_e" />{chain("deel", "deel_s", "werk", "deel_e")}
      {sub}
    </bpmn:subProcess>
    {user_task("daarna")}
    <bpmn:endEvent id="e" />{chain("main", "s", "eerst", "deel", "daarna", "e")}"""
    instance_id = deploy(db, tmp_path, body)
    assert rows(db, Timer, instance_id) == []  # the sub-process has not started
    clock.advance(timedelta(hours=5))
    complete(db, instance_id, "eerst")
    with db.session() as session:
        [due] = session.scalars(select(Timer.due_at)).all()
    assert abs(due.replace(tzinfo=UTC) - datetime(2026, 3, 2, 15, 0, tzinfo=UTC)) < SECOND
    clock.advance(timedelta(hours=2, minutes=1))
    assert drain_timers(db, 10) == 1
    assert tasks(db, instance_id) == ["daarna"]  # the sub-process ended, the process goes on


def test_the_sub_process_error_event_sub_process_comes_before_its_boundary(
    db, clock, tmp_path
) -> None:
    """Camunda 7 looks for a catch from the scope where the error is thrown outward: the
    sub-process's own error event sub-process first, then a boundary event on it."""
    inner = with_flows(
        event_sub("binnen", "<bpmn:errorEventDefinition />", script("noteer", 'pad = "binnen"')),
        "binnen",
        "noteer",
    )
    body = f"""
    <bpmn:startEvent id="s" />
    <bpmn:subProcess id="deel">
      <bpmn:startEvent id="deel_s" />
      <bpmn:endEvent id="gooi"><bpmn:errorEventDefinition errorRef="err_a" /></bpmn:endEvent>
      {chain("deel", "deel_s", "gooi")}
      {inner}
    </bpmn:subProcess>
    <bpmn:boundaryEvent id="grens" attachedToRef="deel">
      <bpmn:errorEventDefinition errorRef="err_a" />
    </bpmn:boundaryEvent>
    {user_task("daarna")}{user_task("via_grens")}
    <bpmn:endEvent id="e" /><bpmn:endEvent id="e2" />
    {chain("main", "s", "deel", "daarna", "e")}{chain("alt", "grens", "via_grens", "e2")}"""
    instance_id = deploy(db, tmp_path, body)
    assert tasks(db, instance_id) == ["daarna"]  # the sub-process ended normally after it
    assert instance(db, instance_id).data["pad"] == "binnen"


def test_modification_sees_the_work_not_the_listening_start(db, clock, tmp_path) -> None:
    """Cancel here, start there (app/engine/modification.py): a listening event sub-process
    is no step where the case is, nor a place to start a token; after moving the token the
    event sub-process still listens."""
    sub = with_flows(event_sub("bericht", MESSAGE, ""), "bericht")
    body = (
        f'<bpmn:startEvent id="s" />{user_task("werk")}{user_task("later")}'
        f'<bpmn:endEvent id="e" />{chain("main", "s", "werk", "later", "e")}{sub}'
    )
    instance_id = deploy(db, tmp_path, body)
    with db.session() as session:
        execution = Execution.open(session, instance_id, "test")
        assert [s.element for s in modification.steps(execution.workflow)] == ["werk"]
        assert "bericht" not in {s.element for s in modification.targets(execution.workflow)}
    with db.transaction() as session:
        modification.modify(session, instance_id, ["werk"], "later", "beheer", dry_run=False)
    assert tasks(db, instance_id) == ["later"]
    message(db)
    assert instance(db, instance_id).status == "completed"


def test_migration_refuses_an_instance_with_an_event_sub_process(db, clock, tmp_path) -> None:
    sub = with_flows(event_sub("bericht", MESSAGE, ""), "bericht")
    instance_id = deploy(db, tmp_path, WORK + sub)
    renamed = (HEAD + WORK + sub + TAIL).replace(
        '<bpmn:userTask id="werk">', '<bpmn:userTask id="werk" name="Werk">'
    )
    deploy_paths(db, write_diagram(tmp_path, "esp", renamed, FIELDS, []))
    with db.session() as session:
        versions = sorted(session.scalars(select(ProcessVersion.id)).all())
        plan = migrate(session, instance_id, versions[-1], {"werk": "werk"}, "beheer")
    assert plan.refusal is not None and "event-subproces" in plan.refusal


def test_a_signal_the_instance_throws_itself_interrupts_it(db, clock, tmp_path) -> None:
    """A throw reaches every waiting subscription, the thrower's own event sub-process too."""
    sub = with_flows(
        event_sub("gestopt", SIGNAL, script("noteer", 'pad = "gestopt"')), "gestopt", "noteer"
    )
    body = f"""
    <bpmn:startEvent id="s" />
    <bpmn:parallelGateway id="splits" />{user_task("werk")}
    <bpmn:intermediateThrowEvent id="gooi">{SIGNAL}</bpmn:intermediateThrowEvent>
    {user_task("nooit")}
    <bpmn:endEvent id="e" /><bpmn:endEvent id="e2" />
    {chain("a", "s", "splits", "werk", "e")}{chain("b", "splits", "gooi", "nooit", "e2")}{sub}"""
    instance_id = deploy(db, tmp_path, body)
    row = instance(db, instance_id)
    assert row.status == "completed" and row.data["pad"] == "gestopt"
    assert tasks(db, instance_id) == []
    assert ("nooit", "open") not in rows(db, HumanTask, instance_id)


def test_an_error_leaving_a_called_process_reaches_the_callers_event_sub_process(
    db, clock, tmp_path
) -> None:
    called = f"""<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
    xmlns:camunda="http://camunda.org/schema/1.0/bpmn" id="d2" targetNamespace="t">
  <bpmn:error id="err_a" errorCode="A" />
  <bpmn:process id="geroepen" isExecutable="true">
    <bpmn:startEvent id="g_s" />
    <bpmn:subProcess id="g_deel">
      <bpmn:startEvent id="g_deel_s" />
      <bpmn:endEvent id="g_gooi"><bpmn:errorEventDefinition errorRef="err_a" /></bpmn:endEvent>
      {chain("gd", "g_deel_s", "g_gooi")}
    </bpmn:subProcess>
    <bpmn:endEvent id="g_e" />{chain("g", "g_s", "g_deel", "g_e")}
  </bpmn:process>
</bpmn:definitions>
"""
    folder = tmp_path / "geroepen"
    folder.mkdir()
    called_path = write_diagram(folder, "geroepen", called, FIELDS, [])
    sub = with_flows(
        event_sub("fout", '<bpmn:errorEventDefinition errorRef="err_a" />', ""), "fout"
    )
    body = f"""
    <bpmn:startEvent id="s" />
    <bpmn:callActivity id="roep" calledElement="geroepen"><bpmn:extensionElements>
      <camunda:in variables="all" /><camunda:out variables="all" />
    </bpmn:extensionElements></bpmn:callActivity>
    {user_task("daarna")}<bpmn:endEvent id="e" />{chain("main", "s", "roep", "daarna", "e")}
    {sub}"""
    caller = write_diagram(tmp_path, "esp", HEAD + body + TAIL, FIELDS, [], [called_path])
    deploy_paths(db, caller, called_path)
    instance_id = start(db, "esp", "E-1", {})
    assert instance(db, instance_id).status == "completed"
    assert rows(db, HumanTask, instance_id) == []  # daarna never opened

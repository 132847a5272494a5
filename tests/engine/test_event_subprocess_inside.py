"""Issue 18: what happens inside an event sub-process, as Camunda 7 runs it: an event
sub-process nested in one, and an error thrown inside one (caught by the scopes around it,
never by the event sub-process it is thrown in)."""

from __future__ import annotations

from pathlib import Path

import pytest

from app.engine.deploy import parse_files
from app.engine.errors import DeploymentError
from app.engine.models import HumanTask, MessageSubscription
from tests.engine.test_event_subprocess import (
    FIELDS,
    HEAD,
    MESSAGE,
    TAIL,
    VRAAG,
    WORK,
    chain,
    complete,
    deploy,
    event_sub,
    message,
    rows,
    script,
    tasks,
    user_task,
    with_flows,
)
from tests.support.camunda import write_diagram
from tests.support.engine import FIXTURES, instance

ERROR_A = '<bpmn:errorEventDefinition errorRef="err_a" />'


def _nested(inner_interrupting: bool) -> str:
    """The work, and an interrupting message event sub-process whose handling may be
    interrupted or joined by a nested one on the question message."""
    inner = with_flows(
        event_sub("vragen", VRAAG, user_task("beantwoorden"), inner_interrupting),
        "vragen",
        "beantwoorden",
    )
    outer = with_flows(
        event_sub("intrekking", MESSAGE, user_task("afhandelen") + inner),
        "intrekking",
        "afhandelen",
    )
    return WORK + outer


@pytest.mark.parametrize("inner_interrupting", [True, False], ids=["interrupting", "not"])
def test_deploy_refuses_an_event_sub_process_inside_an_event_sub_process(
    tmp_path: Path, inner_interrupting: bool
) -> None:
    """Tried: the nested one listened as soon as its parent listened (the question message
    started it before the withdrawal message came), where Camunda 7 subscribes it only
    once its parent has started."""
    path = write_diagram(tmp_path, "esp", HEAD + _nested(inner_interrupting) + TAIL, FIELDS, [])
    with pytest.raises(DeploymentError) as caught:
        parse_files([path], FIXTURES)
    [problem] = [p for p in caught.value.problems if p.element == "vragen"]
    assert problem.line and "event-subproces in een event-subproces" in problem.message
    assert "ingebed subproces" in problem.message


def test_the_alternative_an_embedded_sub_process_inside_listens_once_reached(
    db, clock, tmp_path: Path
) -> None:
    """What the refusal proposes: the handling in an embedded sub-process with the nested
    event sub-process in it; it listens only while that sub-process runs."""
    inner = with_flows(
        event_sub("vragen", VRAAG, user_task("beantwoorden"), interrupting=False),
        "vragen",
        "beantwoorden",
    )
    handling = f"""
      <bpmn:subProcess id="behandeling">
        <bpmn:startEvent id="behandeling_s" />{user_task("afhandelen")}
        <bpmn:endEvent id="behandeling_e" />
        {chain("behandeling", "behandeling_s", "afhandelen", "behandeling_e")}
        {inner}
      </bpmn:subProcess>"""
    outer = with_flows(event_sub("intrekking", MESSAGE, handling), "intrekking", "behandeling")
    instance_id = deploy(db, tmp_path, WORK + outer)
    assert rows(db, MessageSubscription, instance_id) == [("intrekking_start", "waiting")]
    message(db)
    assert tasks(db, instance_id) == ["afhandelen"]
    assert ("vragen_start", "waiting") in rows(db, MessageSubscription, instance_id)
    message(db, "vraag")
    assert tasks(db, instance_id) == ["afhandelen", "beantwoorden"]
    complete(db, instance_id, "afhandelen")
    assert instance(db, instance_id).status == "waiting"  # the nested one still runs
    complete(db, instance_id, "beantwoorden")
    assert instance(db, instance_id).status == "completed"


def _deel(inside: str, boundary: bool = True) -> str:
    """Sub-process `deel` with work and an event sub-process `inside`; an error boundary
    for A on it leads to `via_grens`, the normal path to `daarna`."""
    grens = (
        f'<bpmn:boundaryEvent id="grens" attachedToRef="deel">{ERROR_A}</bpmn:boundaryEvent>'
        f'{user_task("via_grens")}<bpmn:endEvent id="e2" />'
        + chain("alt", "grens", "via_grens", "e2")
        if boundary
        else ""
    )
    return f"""
    <bpmn:startEvent id="s" />
    <bpmn:subProcess id="deel">
      <bpmn:startEvent id="deel_s" />{user_task("werk")}
      <bpmn:endEvent id="deel_e" />{chain("deel", "deel_s", "werk", "deel_e")}
      {inside}
    </bpmn:subProcess>
    {user_task("daarna")}<bpmn:endEvent id="e" />{chain("main", "s", "deel", "daarna", "e")}
    {grens}"""


def _throwing(sub_id: str, start: str, interrupting: bool = True) -> str:
    """An event sub-process that ends with an error end event for A."""
    return f"""
    <bpmn:subProcess id="{sub_id}" triggeredByEvent="true">
      <bpmn:startEvent id="{sub_id}_start"{"" if interrupting else ' isInterrupting="false"'}>
        {start}</bpmn:startEvent>
      {script(sub_id + "_noteer", f'pad = "{sub_id}"')}
      <bpmn:endEvent id="{sub_id}_gooi">{ERROR_A}</bpmn:endEvent>
      {chain(sub_id, sub_id + "_start", sub_id + "_noteer", sub_id + "_gooi")}
    </bpmn:subProcess>"""


@pytest.mark.parametrize("interrupting", [True, False], ids=["interrupting", "not"])
def test_an_error_from_a_message_event_sub_process_reaches_the_boundary_of_its_scope(
    db, clock, tmp_path: Path, interrupting: bool
) -> None:
    """Interrupting or not: the error ends the sub-process around the event sub-process
    through its boundary; the normal path after it is never taken."""
    instance_id = deploy(
        db, tmp_path, _deel(_throwing("intrekking", MESSAGE, interrupting)), {"pad": "x"}
    )
    message(db)
    assert tasks(db, instance_id) == ["via_grens"]
    assert ("werk", "cancelled") in rows(db, HumanTask, instance_id)
    assert "daarna" not in {element for element, _ in rows(db, HumanTask, instance_id)}
    assert instance(db, instance_id).data["pad"] == "intrekking"


def test_an_error_rethrown_by_an_error_event_sub_process_reaches_the_boundary(
    db, clock, tmp_path: Path
) -> None:
    """Camunda 7 does not let an error event sub-process catch what it throws itself: the
    error goes on to the boundary event of the sub-process around it."""
    inside = _throwing("fout", ERROR_A)
    # The work throws A first (instead of a user task), so the error event sub-process runs.
    body = (
        _deel(inside)
        .replace(
            f'{user_task("werk")}\n      <bpmn:endEvent id="deel_e" />',
            f'<bpmn:endEvent id="deel_e">{ERROR_A}</bpmn:endEvent>',
        )
        .replace(chain("deel", "deel_s", "werk", "deel_e"), chain("deel", "deel_s", "deel_e"))
    )
    instance_id = deploy(db, tmp_path, body)
    assert tasks(db, instance_id) == ["via_grens"]
    assert instance(db, instance_id).data["pad"] == "fout"


def test_an_error_an_error_event_sub_process_throws_at_the_top_ends_as_a_none_end(
    db, clock, tmp_path: Path
) -> None:
    body = (
        '<bpmn:startEvent id="s" />'
        f'<bpmn:endEvent id="e">{ERROR_A}</bpmn:endEvent>{chain("main", "s", "e")}'
        + _throwing("fout", ERROR_A)
    )
    instance_id = deploy(db, tmp_path, body)
    row = instance(db, instance_id)
    assert row.status == "completed" and row.data["pad"] == "fout"


def test_an_error_from_a_message_event_sub_process_reaches_a_sibling_error_one(
    db, clock, tmp_path: Path
) -> None:
    """The process's error event sub-process catches an error thrown in its message event
    sub-process (the error's scope is the process, as in Camunda 7)."""
    catcher = with_flows(
        event_sub("fout", ERROR_A, script("gevangen", 'pad = "gevangen"')), "fout", "gevangen"
    )
    instance_id = deploy(db, tmp_path, WORK + _throwing("intrekking", MESSAGE) + catcher)
    message(db)
    row = instance(db, instance_id)
    assert row.status == "completed" and row.data["pad"] == "gevangen"


TOETS = """
    <bpmn:serviceTask id="toetsen" camunda:type="external" camunda:topic="test.toets">
      <bpmn:extensionElements><camunda:inputOutput>
        <camunda:inputParameter name="waarde">${bedrag}</camunda:inputParameter>
      </camunda:inputOutput></bpmn:extensionElements>
    </bpmn:serviceTask>"""
TE_HOOG = '<bpmn:errorEventDefinition errorRef="err_te_hoog" />'


@pytest.mark.parametrize("where", ["boundary", "sibling", "plain-sub-process"])
def test_a_handler_error_in_an_event_sub_process_reaches_its_scopes_catcher(
    db, clock, settings, tmp_path: Path, where: str
) -> None:
    """A handler's BpmnError in a task of a message event sub-process: caught by the error
    boundary of the sub-process around it, or by a sibling error event sub-process; in a
    plain sub-process by the boundary on that sub-process."""
    from app.engine.jobs import run_due_jobs

    handling = with_flows(event_sub("intrekking", MESSAGE, TOETS), "intrekking", "toetsen")
    if where == "boundary":
        body = _deel(handling).replace(ERROR_A, TE_HOOG)
    elif where == "plain-sub-process":
        # Not in an event sub-process: the service task is the sub-process's work (this
        # was an incident before: the boundary on the sub-process was never asked).
        body = (
            _deel("")
            .replace(ERROR_A, TE_HOOG)
            .replace(user_task("werk"), TOETS)
            .replace(
                chain("deel", "deel_s", "werk", "deel_e"),
                chain("deel", "deel_s", "toetsen", "deel_e"),
            )
        )
    else:
        catcher = with_flows(
            event_sub("fout", TE_HOOG, script("gevangen", 'pad = "gevangen"')), "fout", "gevangen"
        )
        body = _deel(handling + catcher, boundary=False)
    FIELDS["verdubbeld"] = 1
    try:
        instance_id = deploy(db, tmp_path, body, {"bedrag": 150, "pad": "x"})
    finally:
        FIELDS.pop("verdubbeld")
    if where != "plain-sub-process":
        message(db)
    run_due_jobs(db, settings, "w")
    row = instance(db, instance_id)
    if where != "sibling":
        assert tasks(db, instance_id) == ["via_grens"]
    else:
        assert tasks(db, instance_id) == ["daarna"] and row.data["pad"] == "gevangen"
    assert row.status == "waiting"


def test_an_error_from_an_event_sub_process_caught_only_further_out_is_refused(
    tmp_path: Path,
) -> None:
    """The error leaves `deel` (no catch there) and only the boundary of `groot` around it
    catches it: refused as any error that skips a sub-process's boundary, naming `deel`."""
    deel = _deel(_throwing("intrekking", MESSAGE), boundary=False)
    body = f"""
    <bpmn:startEvent id="s0" />
    <bpmn:subProcess id="groot">
      {deel}
    </bpmn:subProcess>
    <bpmn:boundaryEvent id="grens" attachedToRef="groot">{ERROR_A}</bpmn:boundaryEvent>
    {user_task("via_grens")}<bpmn:endEvent id="e0" /><bpmn:endEvent id="e2" />
    {chain("top", "s0", "groot", "e0")}{chain("alt", "grens", "via_grens", "e2")}"""
    path = write_diagram(tmp_path, "esp", HEAD + body + TAIL, FIELDS, [])
    with pytest.raises(DeploymentError) as caught:
        parse_files([path], FIXTURES)
    [problem] = [p for p in caught.value.problems if p.element == "intrekking_gooi"]
    assert problem.line and "verlaat subproces 'deel'" in problem.message
    assert "grensgebeurtenis op 'groot'" in problem.message

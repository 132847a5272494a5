"""Multi-instance activities as Camunda 7 runs them (app/engine/multi_instance.py): each
instance its own task, local element and loop variables, the completion condition, what an
instance writes going to the process scope; saved and restored, mirrored in the wait-state
rows, migrated; and what deploy refuses."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from app.engine import service
from app.engine.deploy import parse_files
from app.engine.errors import DeploymentError
from app.engine.jobs import run_due_jobs
from app.engine.migration import default_mapping, migrate
from app.engine.models import HumanTask, Incident, Job, ProcessVersion
from app.engine.modification import modify
from app.engine.multi_instance import is_body
from app.engine.runtime import clear_spec_cache, load_workflow
from app.engine.timers import drain_timers
from tests.engine.test_camunda_rules import diagram, line_of, refusal
from tests.support import handlers as test_handlers
from tests.support.camunda import teams_for, write_diagram
from tests.support.engine import FIXTURES, deploy_paths, instance, open_tasks, start

START = '<bpmn:startEvent id="s" />\n<bpmn:sequenceFlow id="f0" sourceRef="s" targetRef="mi" />\n'


def _task(loop: str, attributes: str = "", inner: str = "") -> str:
    return (
        f'<bpmn:userTask id="mi" name="Huurder bellen" camunda:candidateGroups="wijkteam"'
        f" {attributes}>{inner}{loop}</bpmn:userTask>\n"
    )


AFTER = (
    '<bpmn:sequenceFlow id="f1" sourceRef="mi" targetRef="daarna" />\n'
    '<bpmn:userTask id="daarna" name="Afronden" camunda:candidateGroups="wijkteam" />\n'
)


def _deploy(db, tmp_path: Path, body: str, fields: dict[str, Any], name: str = "regels") -> Path:
    path = write_diagram(tmp_path, name, diagram(body), fields, sorted(fields))
    teams_for(db, path)  # the candidate group is a team, as in a real installation
    deploy_paths(db, path)
    return path


def _complete(db, task_id: str, data: dict[str, Any] | None = None) -> None:
    with db.transaction() as session:
        service.complete_task(session, task_id, data or {}, "tester")


def _mine(db, instance_id: str, element: str = "mi") -> list[HumanTask]:
    return sorted(
        (t for t in open_tasks(db, instance_id) if t.element_id == element),
        key=lambda t: t.assignee or "",
    )


PARALLEL = (
    '<bpmn:multiInstanceLoopCharacteristics camunda:collection="huurders" '
    'camunda:elementVariable="huurder" />'
)


def test_each_instance_is_its_own_task_with_its_own_element(db, clock, tmp_path: Path) -> None:
    _deploy(
        db,
        tmp_path,
        START + _task(PARALLEL, 'camunda:assignee="${huurder}"') + AFTER,
        {"huurders": ["anna", "bram", "cor"]},
    )
    instance_id = start(db, "regels", "R-1", {"huurders": ["anna", "bram", "cor"]})
    tasks = _mine(db, instance_id)
    assert [t.assignee for t in tasks] == ["anna", "bram", "cor"]
    assert len({t.id for t in tasks}) == 3
    assert [t.name for t in tasks] == [f"Huurder bellen ({n} van 3)" for n in (1, 2, 3)]
    # The case data is the process scope: no element, no loop counters.
    data = instance(db, instance_id).data
    assert not {"huurder", "loopCounter", "nrOfInstances"} & set(data)

    # Claimed and completed on its own; the others stay open.
    with db.transaction() as session:
        service.claim_task(session, tasks[1].id, "bram", "bram")
    _complete(db, tasks[1].id)
    assert [t.assignee for t in _mine(db, instance_id)] == ["anna", "cor"]
    for task in _mine(db, instance_id):
        _complete(db, task.id)
    assert [t.element_id for t in open_tasks(db, instance_id)] == ["daarna"]
    with db.session() as session:
        done = session.scalars(
            select(HumanTask.status).where(
                HumanTask.instance_id == instance_id, HumanTask.element_id == "mi"
            )
        ).all()
    assert sorted(done) == ["completed"] * 3


def test_instances_survive_a_fresh_process(db, clock, tmp_path: Path) -> None:
    """A worker that restarted restores the spec from its JSON: completing an instance
    created before must still reach the body."""
    _deploy(db, tmp_path, START + _task(PARALLEL) + AFTER, {"huurders": ["anna", "bram"]})
    instance_id = start(db, "regels", "R-1", {"huurders": ["anna", "bram"]})
    for task in _mine(db, instance_id):
        clear_spec_cache()  # as a new process: the spec comes from its JSON again
        _complete(db, task.id)
    assert [t.element_id for t in open_tasks(db, instance_id)] == ["daarna"]


def test_what_an_instance_writes_goes_to_the_process_and_is_not_undone(
    db, clock, tmp_path: Path
) -> None:
    """Camunda 7: a variable that is not local to the instance is set on the process. An
    instance completed later with its own (older) view of it does not put that back."""
    fields = {"huurders": ["anna", "bram"], "notitie": "leeg"}
    _deploy(db, tmp_path, START + _task(PARALLEL) + AFTER, fields)
    instance_id = start(db, "regels", "R-1", fields)
    first, second = _mine(db, instance_id)
    _complete(db, first.id, {"notitie": "gebeld"})
    assert instance(db, instance_id).data["notitie"] == "gebeld"
    _complete(db, second.id)
    data = instance(db, instance_id).data
    assert data["notitie"] == "gebeld"
    assert "huurder" not in data and "loopCounter" not in data


def test_a_sequential_instance_sees_what_the_previous_wrote(db, clock, tmp_path: Path) -> None:
    loop = (
        '<bpmn:multiInstanceLoopCharacteristics isSequential="true" '
        'camunda:collection="${brieven}" camunda:elementVariable="brief" />'
    )
    body = (
        START + '<bpmn:scriptTask id="mi" scriptFormat="python"><bpmn:script>'
        'log = log + [f"{loopCounter}/{nrOfInstances}:{brief}"]</bpmn:script>'
        f"{loop}</bpmn:scriptTask>\n" + AFTER
    )
    fields = {"brieven": ["aanmaning", "herinnering", "sommatie"], "log": []}
    _deploy(db, tmp_path, body, fields)
    instance_id = start(db, "regels", "R-1", fields)
    assert instance(db, instance_id).data["log"] == [
        "0/3:aanmaning",
        "1/3:herinnering",
        "2/3:sommatie",
    ]


def test_the_completion_condition_cancels_the_open_instances(db, clock, tmp_path: Path) -> None:
    """`${nrOfCompletedInstances >= 2 || !akkoord}`: two approvals, or one refusal, end it."""
    loop = (
        '<bpmn:multiInstanceLoopCharacteristics camunda:collection="adviseurs" '
        'camunda:elementVariable="adviseur"><bpmn:completionCondition>'
        "${nrOfCompletedInstances &gt;= 2 || !akkoord}</bpmn:completionCondition>"
        "</bpmn:multiInstanceLoopCharacteristics>"
    )
    fields = {"adviseurs": ["a", "b", "c", "d"], "akkoord": True}
    _deploy(db, tmp_path, START + _task(loop) + AFTER, fields)
    instance_id = start(db, "regels", "R-1", fields)
    tasks = _mine(db, instance_id)
    assert len(tasks) == 4
    _complete(db, tasks[0].id, {"akkoord": False})
    assert [t.element_id for t in open_tasks(db, instance_id)] == ["daarna"]
    with db.session() as session:
        statuses = session.scalars(
            select(HumanTask.status).where(
                HumanTask.instance_id == instance_id, HumanTask.element_id == "mi"
            )
        ).all()
    assert sorted(statuses) == ["cancelled"] * 3 + ["completed"]
    assert instance(db, instance_id).data["akkoord"] is False


def test_a_multi_instance_service_task_makes_a_job_per_element(
    db, clock, settings, tmp_path: Path
) -> None:
    body = (
        START + '<bpmn:serviceTask id="mi" camunda:type="external" camunda:topic="test.echo">'
        "<bpmn:extensionElements><camunda:inputOutput>"
        '<camunda:inputParameter name="waarde">${bedrag * (loopCounter + 1)}'
        "</camunda:inputParameter></camunda:inputOutput></bpmn:extensionElements>"
        '<bpmn:multiInstanceLoopCharacteristics isSequential="true" camunda:collection="bedragen"'
        ' camunda:elementVariable="bedrag" /></bpmn:serviceTask>\n' + AFTER
    )
    _deploy(db, tmp_path, body, {"bedragen": [3, 5]})
    instance_id = start(db, "regels", "R-1", {"bedragen": [3, 5]})
    test_handlers.CALLS["test.echo"].clear()
    assert run_due_jobs(db, settings, "w") == 1  # sequential: one at a time
    assert run_due_jobs(db, settings, "w") == 1
    assert test_handlers.CALLS["test.echo"] == [{"waarde": 3}, {"waarde": 10}]
    assert instance(db, instance_id).data["verdubbeld"] == 20
    with db.session() as session:
        jobs = session.scalars(select(Job).where(Job.instance_id == instance_id)).all()
    assert len({j.spiff_task_id for j in jobs}) == 2
    assert [t.element_id for t in open_tasks(db, instance_id)] == ["daarna"]


def test_an_empty_collection_passes_straight_on(db, clock, tmp_path: Path) -> None:
    _deploy(db, tmp_path, START + _task(PARALLEL) + AFTER, {"huurders": ["x"]})
    empty = start(db, "regels", "R-1", {"huurders": []})
    assert [t.element_id for t in open_tasks(db, empty)] == ["daarna"]


def test_instances_keep_their_tasks_through_migration(db, clock, tmp_path: Path) -> None:
    fields = {"huurders": ["anna", "bram"]}
    _deploy(db, tmp_path, START + _task(PARALLEL) + AFTER, fields)
    instance_id = start(db, "regels", "R-1", fields)
    first, second = _mine(db, instance_id)
    _complete(db, first.id)
    changed = START + _task(PARALLEL).replace("Huurder bellen", "Huurder opbellen") + AFTER
    _deploy(db, tmp_path, changed, fields)
    with db.session() as session:
        v1, v2 = session.scalars(select(ProcessVersion.id).order_by(ProcessVersion.version)).all()
        mapping = default_mapping(session, v1, v2)
    with db.transaction() as session:
        done = migrate(session, instance_id, v2, mapping, "eigenaar", dry_run=False)
    assert done.done, done.refusal
    [still] = _mine(db, instance_id)
    assert still.id == second.id
    clear_spec_cache()
    _complete(db, still.id)
    assert [t.element_id for t in open_tasks(db, instance_id)] == ["daarna"]


def test_an_instance_migrates_to_a_renamed_element(db, clock, tmp_path: Path) -> None:
    """The mapping names the activity; its instances go with it."""
    fields = {"huurders": ["anna", "bram"]}
    _deploy(db, tmp_path, START + _task(PARALLEL) + AFTER, fields)
    instance_id = start(db, "regels", "R-1", fields)
    before = {t.id for t in _mine(db, instance_id)}
    renamed = (START + _task(PARALLEL) + AFTER).replace('"mi"', '"bellen"')
    _deploy(db, tmp_path, renamed, fields)
    with db.session() as session:
        v1, v2 = session.scalars(select(ProcessVersion.id).order_by(ProcessVersion.version)).all()
    with db.transaction() as session:
        done = migrate(
            session,
            instance_id,
            v2,
            {"s": "s", "mi": "bellen", "daarna": "daarna"},
            "eigenaar",
            dry_run=False,
        )
    assert done.done, done.refusal
    clear_spec_cache()
    tasks = [t for t in open_tasks(db, instance_id)]
    assert {t.id for t in tasks} == before
    for task in tasks:
        _complete(db, task.id)
    assert [t.element_id for t in open_tasks(db, instance_id)] == ["daarna"]


# -- deploy --------------------------------------------------------------------------------


def test_the_loop_variables_are_known_inside_and_gone_after(tmp_path: Path) -> None:
    """Inside the activity the element and loopCounter need no catalogue field; after it,
    they are no variables at all."""
    body = (
        START
        + _task(PARALLEL, 'camunda:assignee="${huurder}" camunda:priority="${loopCounter}"')
        + '<bpmn:sequenceFlow id="f1" sourceRef="mi" targetRef="na" />\n'
        '<bpmn:scriptTask id="na" scriptFormat="python"><bpmn:script>x = huurder'
        "</bpmn:script></bpmn:scriptTask>\n"
    )
    xml = diagram(body)
    problems = refusal(tmp_path, xml, {"huurders": ["a"], "x": "a"})
    assert [(p.element, "'huurder'" in p.message) for p in problems] == [("na", True)], problems


def test_the_collection_is_a_list_field_of_the_catalogue(tmp_path: Path) -> None:
    xml = diagram(START + _task(PARALLEL.replace("huurders", "bewoners")) + AFTER)
    path = write_diagram(tmp_path, "regels", xml, {"huurders": ["a"]}, [])
    text = path.with_name("regels.catalogus.yaml").read_text()
    path.with_name("regels.catalogus.yaml").write_text(text.replace("bewoners", "huurders"))

    with pytest.raises(DeploymentError) as caught:
        parse_files([path], FIXTURES)
    [problem] = [p for p in caught.value.problems if "niet in de gegevenscatalogus" in p.message]
    assert problem.element == "mi" and problem.line == line_of(xml, 'id="mi"')
    assert "'bewoners' staat niet in de gegevenscatalogus" in problem.message

    problems = refusal(tmp_path, xml.replace("bewoners", "naam"), {"naam": "Anna"})
    assert any("type 'tekst'" in p.message and p.element == "mi" for p in problems), problems


def test_writing_a_local_variable_is_refused(tmp_path: Path) -> None:
    loop = (
        '<bpmn:multiInstanceLoopCharacteristics camunda:collection="adviezen" '
        'camunda:elementVariable="akkoord" />'
    )
    xml = diagram(START + _task(loop, 'camunda:formRef="beoordelen"') + AFTER)
    problems = refusal(tmp_path, xml, {"adviezen": [True], "akkoord": True})
    assert any(
        p.element == "mi" and "'akkoord' is lokaal" in p.message and p.line for p in problems
    ), problems


@pytest.mark.parametrize(
    ("loop", "refused"),
    [
        ("<bpmn:loopCardinality>2</bpmn:loopCardinality>", False),
        ("<bpmn:loopCardinality>${aantal}</bpmn:loopCardinality>", True),
    ],
)
def test_what_instances_write_is_sure_only_with_a_fixed_cardinality(
    tmp_path: Path, loop: str, refused: bool
) -> None:
    """A collection may be empty and an expression may give 0: a field only the instances'
    form writes is then not written on every path (Camunda 7 would fail reading it)."""
    body = (
        START
        + _task(
            f"<bpmn:multiInstanceLoopCharacteristics>{loop}</bpmn:multiInstanceLoopCharacteristics>",
            'camunda:formRef="test-beoordelen"',
        )
        + '<bpmn:sequenceFlow id="f1" sourceRef="mi" targetRef="na" />\n'
        '<bpmn:scriptTask id="na" scriptFormat="python"><bpmn:script>y = toelichting'
        "</bpmn:script></bpmn:scriptTask>\n"
    )
    fields = {"aantal": 2, "toelichting": "uitleg", "aantal_bewoners": 2, "y": "x"}
    path = write_diagram(tmp_path, "regels", diagram(body), fields, ["aantal"])

    if not refused:
        parse_files([path], FIXTURES)
        return
    with pytest.raises(DeploymentError) as caught:
        parse_files([path], FIXTURES)
    assert any(p.element == "na" and "'toelichting'" in p.message for p in caught.value.problems), (
        caught.value.problems
    )


def test_a_timer_on_the_activity_cancels_the_open_instances(db, clock, tmp_path: Path) -> None:
    """A boundary event sits on the multi-instance body (Camunda 7): when it interrupts,
    every open instance is cancelled; the completed ones stay completed."""
    body = (
        START
        + _task(PARALLEL)
        + AFTER
        + '<bpmn:boundaryEvent id="te" attachedToRef="mi"><bpmn:timerEventDefinition>'
        "<bpmn:timeDuration>PT1H</bpmn:timeDuration></bpmn:timerEventDefinition>"
        '</bpmn:boundaryEvent><bpmn:sequenceFlow id="f9" sourceRef="te" targetRef="laat" />'
        '<bpmn:userTask id="laat" camunda:candidateGroups="wijkteam" />'
    )
    _deploy(db, tmp_path, body, {"huurders": ["anna", "bram", "cor"]})
    instance_id = start(db, "regels", "R-1", {"huurders": ["anna", "bram", "cor"]})
    _complete(db, _mine(db, instance_id)[0].id)
    clock.advance(timedelta(hours=2))
    drain_timers(db, 10)
    assert [t.element_id for t in open_tasks(db, instance_id)] == ["laat"]
    with db.session() as session:
        statuses = session.scalars(
            select(HumanTask.status).where(
                HumanTask.instance_id == instance_id, HumanTask.element_id == "mi"
            )
        ).all()
    assert sorted(statuses) == ["cancelled", "cancelled", "completed"]


def test_a_sequential_completion_condition_starts_no_further_instance(
    db, clock, tmp_path: Path
) -> None:
    loop = (
        '<bpmn:multiInstanceLoopCharacteristics isSequential="true" camunda:asyncBefore="true">'
        "<bpmn:loopCardinality>${aantal}</bpmn:loopCardinality><bpmn:completionCondition>"
        "${gevonden}</bpmn:completionCondition></bpmn:multiInstanceLoopCharacteristics>"
    )
    fields = {"aantal": 5, "gevonden": False}
    _deploy(db, tmp_path, START + _task(loop) + AFTER, fields)
    instance_id = start(db, "regels", "R-1", fields)
    [first] = _mine(db, instance_id)
    assert first.name == "Huurder bellen (1 van 5)"
    _complete(db, first.id)
    [second] = _mine(db, instance_id)
    assert second.name == "Huurder bellen (2 van 5)"
    _complete(db, second.id, {"gevonden": True})
    assert [t.element_id for t in open_tasks(db, instance_id)] == ["daarna"]


def test_a_collection_that_is_no_list_is_an_incident_at_the_activity(
    db, clock, tmp_path: Path
) -> None:
    loop = "<bpmn:multiInstanceLoopCharacteristics camunda:collection=\"${naam + ''}\" />"
    _deploy(db, tmp_path, START + _task(loop) + AFTER, {"naam": "Anna"})
    instance_id = start(db, "regels", "R-1", {"naam": "Anna"})
    row = instance(db, instance_id)
    assert row.status == "error"
    with db.session() as session:
        [incident] = session.scalars(
            select(Incident).where(Incident.instance_id == instance_id)
        ).all()
    assert incident.element_id == "mi" and "geen lijst" in incident.message


def test_more_instances_than_the_limit_is_an_incident_not_an_unbounded_transition(
    db, clock, tmp_path: Path
) -> None:
    from app.engine.multi_instance import MAX_INSTANCES

    loop = (
        "<bpmn:multiInstanceLoopCharacteristics>"
        "<bpmn:loopCardinality>${aantal}</bpmn:loopCardinality>"
        "</bpmn:multiInstanceLoopCharacteristics>"
    )
    _deploy(db, tmp_path, START + _task(loop) + AFTER, {"aantal": 2})
    instance_id = start(db, "regels", "R-1", {"aantal": MAX_INSTANCES + 1})
    assert instance(db, instance_id).status == "error"
    assert open_tasks(db, instance_id) == []
    with db.session() as session:
        [incident] = session.scalars(
            select(Incident).where(Incident.instance_id == instance_id)
        ).all()
    assert incident.element_id == "mi" and f"meer dan {MAX_INSTANCES}" in incident.message


def test_erasing_the_collection_erases_the_elements_too(db, clock, tmp_path: Path) -> None:
    """The body keeps a copy of the collection and each instance its element: erasing the
    collection's field (`gegevens = wissen`) leaves neither."""
    end = (
        '<bpmn:sequenceFlow id="f1" sourceRef="mi" targetRef="e" />\n<bpmn:endEvent id="e">'
        "<bpmn:extensionElements><camunda:properties>"
        '<camunda:property name="gegevens" value="wissen" />'
        '<camunda:property name="velden" value="huurders" />'
        "</camunda:properties></bpmn:extensionElements></bpmn:endEvent>\n"
    )
    _deploy(db, tmp_path, START + _task(PARALLEL) + end, {"huurders": ["anna", "bram"]})
    instance_id = start(db, "regels", "R-1", {"huurders": ["anna", "bram"]})
    for task in _mine(db, instance_id):
        _complete(db, task.id)
    row = instance(db, instance_id)
    assert row.status == "completed"
    with db.session() as session:
        workflow = load_workflow(session, row.version_id, row.state)
    tasks = workflow.get_tasks()
    assert not [t for t in tasks if "huurder" in t.data or "huurders" in t.data]
    [body] = [t for t in tasks if is_body(t.task_spec)]
    assert body.internal_data["items"] == [None, None]


def test_modification_stops_the_activity_with_all_its_instances(db, clock, tmp_path: Path) -> None:
    _deploy(db, tmp_path, START + _task(PARALLEL) + AFTER, {"huurders": ["anna", "bram"]})
    instance_id = start(db, "regels", "R-1", {"huurders": ["anna", "bram"]})
    with db.transaction() as session:
        plan = modify(session, instance_id, ["mi"], "daarna", "beheerder", dry_run=False)
    assert [s.element for s in plan.cancelled] == ["mi"] and plan.done
    assert [t.element_id for t in open_tasks(db, instance_id)] == ["daarna"]
    data = instance(db, instance_id).data
    assert "huurder" not in data and "loopCounter" not in data

"""Migrating running instances to another version (app/engine/migration.py)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from app.engine import service
from app.engine.errors import Conflict
from app.engine.jobs import run_due_jobs
from app.engine.migration import default_mapping, migrate
from app.engine.models import Job, ProcessVersion, Timer
from app.engine.timers import drain_timers
from tests.support.engine import (
    deploy_paths,
    instance,
    kinds,
    open_tasks,
    simple_xml,
    start,
    write_variant,
)

# Version 2: a second service task after the assessment.
EXTRA = (
    '<bpmn:serviceTask id="nogmaals" name="Nogmaals verrijken" camunda:type="external" '
    'camunda:topic="test.echo"><bpmn:extensionElements><camunda:inputOutput>'
    '<camunda:inputParameter name="waarde">${bedrag}</camunda:inputParameter>'
    "</camunda:inputOutput></bpmn:extensionElements>"
    "<bpmn:incoming>f3</bpmn:incoming><bpmn:outgoing>f3b</bpmn:outgoing></bpmn:serviceTask>"
    '<bpmn:sequenceFlow id="f3b" sourceRef="nogmaals" targetRef="keuze" />'
)


def _with_extra_step(xml: str) -> str:
    xml = xml.replace(
        '<bpmn:sequenceFlow id="f3" sourceRef="beoordelen" targetRef="keuze" />',
        '<bpmn:sequenceFlow id="f3" sourceRef="beoordelen" targetRef="nogmaals" />' + EXTRA,
    )
    return xml.replace(
        "<bpmn:incoming>f3</bpmn:incoming>\n      <bpmn:outgoing>f4</bpmn:outgoing>",
        "<bpmn:incoming>f3b</bpmn:incoming>\n      <bpmn:outgoing>f4</bpmn:outgoing>",
    )


def _deploy_v2(db, tmp_path) -> None:
    catalogue = (tmp_path / "v1.catalogus.yaml").read_text()
    catalogue = catalogue.replace("[beoordelen, keuze]", "[beoordelen, nogmaals, keuze]")
    deploy_paths(db, write_variant(tmp_path, "v2.bpmn", _with_extra_step(simple_xml()), catalogue))


def _version(db, number: int) -> int:
    with db.session() as session:
        return session.scalar(select(ProcessVersion.id).where(ProcessVersion.version == number))


@pytest.fixture
def two_versions(db, clock, tmp_path):
    write_variant(tmp_path, "v1.bpmn", simple_xml())
    deploy_paths(db, tmp_path / "v1.bpmn")
    return db


def _at_assessment(db, settings, key: str) -> str:
    instance_id = start(db, business_key=key)
    assert run_due_jobs(db, settings, "w") == 1
    return instance_id


def test_a_migrated_instance_takes_the_new_step_an_old_one_does_not(
    two_versions, settings, tmp_path
) -> None:
    db = two_versions
    stays, moves = _at_assessment(db, settings, "OUD"), _at_assessment(db, settings, "NIEUW")
    _deploy_v2(db, tmp_path)
    v1, v2 = _version(db, 1), _version(db, 2)
    with db.session() as session:
        mapping = default_mapping(session, v1, v2)
    assert mapping["beoordelen"] == "beoordelen" and "nogmaals" not in mapping

    with db.session() as session:
        plan = migrate(session, moves, v2, mapping, "eigenaar", dry_run=True)
    assert plan.possible and not plan.done
    assert [(m.element, m.target) for m in plan.moves] == [("beoordelen", "beoordelen")]
    assert instance(db, moves).version.version == 1  # a dry run changes nothing

    [task_before] = open_tasks(db, moves)
    with db.transaction() as session:
        done = migrate(session, moves, v2, mapping, "eigenaar", "nieuwe stap", dry_run=False)
    assert done.done
    assert instance(db, moves).version.version == 2
    [task_after] = open_tasks(db, moves)
    assert task_after.id == task_before.id  # the person's task stays the same task
    assert kinds(db, moves)[-1] == "instance_migrated"

    for instance_id in (stays, moves):
        [task] = open_tasks(db, instance_id)
        with db.transaction() as session:
            service.complete_task(session, task.id, {"akkoord": False}, "piet")
    assert instance(db, stays).status == "completed"
    assert instance(db, stays).version.version == 1
    row = instance(db, moves)
    assert row.status == "running"  # the new service task waits for its job
    with db.session() as session:
        jobs = session.scalars(select(Job.element_id).where(Job.instance_id == moves)).all()
    assert sorted(jobs) == ["nogmaals", "verrijken"]
    assert run_due_jobs(db, settings, "w") == 1
    assert instance(db, moves).status == "completed"


def test_a_waiting_timer_keeps_its_due_time(two_versions, settings, clock, tmp_path) -> None:
    db = two_versions
    instance_id = _at_assessment(db, settings, "K1")
    [task] = open_tasks(db, instance_id)
    with db.transaction() as session:
        service.complete_task(session, task.id, {"akkoord": True}, "piet")
    with db.session() as session:
        due = session.scalars(select(Timer.due_at).where(Timer.instance_id == instance_id)).one()
    clock.advance(timedelta(days=2))
    _deploy_v2(db, tmp_path)
    v1, v2 = _version(db, 1), _version(db, 2)
    with db.transaction() as session:
        mapping = default_mapping(session, v1, v2)
        migrate(session, instance_id, v2, mapping, "eigenaar", "x", dry_run=False)
    with db.session() as session:
        timers = session.scalars(
            select(Timer).where(Timer.instance_id == instance_id, Timer.status == "waiting")
        ).all()
    assert [t.due_at for t in timers] == [due]
    clock.advance(timedelta(days=3, seconds=1))
    assert drain_timers(db, 10) == 1
    assert instance(db, instance_id).status == "completed"


def test_a_step_without_a_place_is_refused_until_it_is_mapped(
    two_versions, settings, tmp_path
) -> None:
    db = two_versions
    instance_id = _at_assessment(db, settings, "K1")
    renamed = (
        simple_xml()
        .replace('id="beoordelen"', 'id="beoordelen_nieuw"')
        .replace('targetRef="beoordelen"', 'targetRef="beoordelen_nieuw"')
        .replace('sourceRef="beoordelen"', 'sourceRef="beoordelen_nieuw"')
    )
    catalogue = (
        (tmp_path / "v1.catalogus.yaml").read_text().replace("[beoordelen,", "[beoordelen_nieuw,")
    )
    deploy_paths(db, write_variant(tmp_path, "v2.bpmn", renamed, catalogue))
    v1, v2 = _version(db, 1), _version(db, 2)
    with db.session() as session:
        mapping = default_mapping(session, v1, v2)
        plan = migrate(session, instance_id, v2, mapping, "eigenaar")
    assert "beoordelen" not in mapping
    assert not plan.possible and "‘Beoordelen’" in (plan.refusal or "")
    with pytest.raises(Conflict, match="Beoordelen"):
        with db.transaction() as session:
            migrate(session, instance_id, v2, mapping, "eigenaar", "x", dry_run=False)
    assert instance(db, instance_id).version.version == 1

    mapping["beoordelen"] = "beoordelen_nieuw"
    with db.transaction() as session:
        plan = migrate(session, instance_id, v2, mapping, "eigenaar", "x", dry_run=False)
    assert [(m.element, m.target) for m in plan.moves] == [("beoordelen", "beoordelen_nieuw")]
    [task] = open_tasks(db, instance_id)
    with db.transaction() as session:
        service.complete_task(session, task.id, {"akkoord": False}, "piet")
    assert instance(db, instance_id).status == "completed"


def test_an_ended_instance_is_refused(two_versions, settings, tmp_path) -> None:
    db = two_versions
    instance_id = _at_assessment(db, settings, "K1")
    [task] = open_tasks(db, instance_id)
    with db.transaction() as session:
        service.complete_task(session, task.id, {"akkoord": False}, "piet")
    _deploy_v2(db, tmp_path)
    v1, v2 = _version(db, 1), _version(db, 2)
    with db.session() as session:
        plan = migrate(session, instance_id, v2, default_mapping(session, v1, v2), "x")
    assert plan.refusal == "de zaak is al beëindigd"

"""The API's row schemas (app/engine/schemas.py `RowSchema`) answer exactly what marshmallow's
own dump answers, key for key and in the same order."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

from marshmallow import Schema

from app.engine.models import HumanTask, ProcessInstance, ProcessVersion
from app.engine.schemas import InstanceSchema, TaskSchema
from app.tasks.schemas import TaskPageSchema


def _marshmallow(schema: Schema, obj: object, many: bool = False) -> object:
    return Schema._serialize(schema, obj, many=many)


def _tasks() -> list[HumanTask]:
    moment = datetime(2026, 12, 7, 15, 30, 1, 123456, tzinfo=UTC)
    full = HumanTask(
        id="t-1",
        instance_id="i-1",
        definition_key="bench_engine",
        element_id="beoordelen",
        name="Beoordelen",
        lane="Wijkteam",
        form_key="beoordelen.form",
        candidate_groups=["swt", "wmo"],
        assignee="jjansen",
        priority=70,
        due_at=moment + timedelta(days=3),
        follow_up_at=moment.astimezone(timezone(timedelta(hours=1))),
        status="completed",
        created_at=moment,
        completed_at=moment + timedelta(minutes=5),
        completed_by="jjansen",
    )
    bare = HumanTask(
        id="t-2",
        instance_id="i-1",
        definition_key="bench_engine",
        element_id="contact",
        name="Contact",
        status="open",
        created_at=moment,
    )  # lane, form, groups, assignee, priority, dates: unset (None)
    return [full, bare]


def test_a_task_is_dumped_as_marshmallow_dumps_it() -> None:
    for task in _tasks():
        ours, theirs = TaskSchema().dump(task), _marshmallow(TaskSchema(), task)
        assert ours == theirs
        assert list(ours) == list(theirs)  # the same keys in the same order
    tasks = _tasks()
    assert TaskSchema(many=True).dump(tasks) == _marshmallow(TaskSchema(), tasks, many=True)
    page = {"items": tasks, "next_cursor": "abc"}
    assert TaskPageSchema().dump(page)["items"] == _marshmallow(TaskSchema(), tasks, many=True)


def test_an_instance_is_dumped_as_marshmallow_dumps_it() -> None:
    moment = datetime(2026, 12, 7, 15, 30, tzinfo=UTC)
    instance = ProcessInstance(
        id="i-1",
        definition_key="bench_engine",
        business_key=None,
        status="waiting",
        started_at=moment,
        updated_at=moment,
        started_by="bench",
    )
    instance.version = ProcessVersion(version=3)
    ours, theirs = InstanceSchema().dump(instance), _marshmallow(InstanceSchema(), instance)
    assert ours == theirs and list(ours) == list(theirs)
    assert ours["version"] == 3 and ours["ended_at"] is None


def test_other_input_and_narrowed_schemas_go_through_marshmallow() -> None:
    task = _tasks()[0]
    as_mapping = {"id": "t-9", "name": "Uit een dict", "created_at": task.created_at}
    assert TaskSchema().dump(as_mapping) == _marshmallow(TaskSchema(), as_mapping)
    assert TaskSchema().dump(as_mapping) == {
        "id": "t-9",
        "name": "Uit een dict",
        "created_at": task.created_at.isoformat(),
    }  # missing keys are left out, as marshmallow does
    narrowed = TaskSchema(only=("id", "due_at"))
    assert narrowed.dump(task) == {"id": "t-1", "due_at": task.due_at.isoformat()}
    assert TaskSchema(exclude=("name",)).dump(task) == _marshmallow(
        TaskSchema(exclude=("name",)), task
    )

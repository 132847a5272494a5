"""Issue 16, item 7: completing a task over the API skipped the task's form.

An empty body answered 200 and the process went on without the form's required fields (an
incident further on). The page, the API and the command line now share one check in the
service that completes a task: the form's required fields and types, then the catalogue's
write rules; a refusal stores nothing, and a completion removes the task's drafts."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner
from sqlalchemy import func, select

from app.cli import main
from app.engine.models import HumanTask, InstanceEvent, ProcessInstance
from app.tasks.models import TaskDraft
from tests.auth.test_login import csrf, login
from tests.cases.support import secret_of, seed, signal, token

VALID = {"toelichting": "bewoner gebeld, afspraak gemaakt", "aantal_bewoners": "3"}


@pytest.fixture
def world(db, clock, app):  # type: ignore[no-untyped-def]
    return seed(db, secret_of(app), [signal(1)])


@pytest.fixture
def team(db, world) -> dict[str, str]:  # type: ignore[no-untyped-def]
    return {"Authorization": f"Bearer {token(db, 'weert-swt', ['tasks:read', 'tasks:write'])}"}


def _state(db, task_id: str) -> tuple:  # type: ignore[no-untyped-def]
    """What a completion changes: the task's status, the case's data and history."""
    with db.session() as session:
        task = session.get(HumanTask, task_id)
        instance = session.get(ProcessInstance, task.instance_id)
        events = session.scalar(
            select(func.count())
            .select_from(InstanceEvent)
            .where(InstanceEvent.instance_id == instance.id)
        )
        return task.status, dict(instance.data or {}), instance.status, events


def _complete(client, headers, task_id: str, body: dict):  # type: ignore[no-untyped-def]
    return client.post(f"/api/v1/tasks/{task_id}/complete", headers=headers, json=body)


def test_an_empty_completion_is_refused_with_the_forms_errors(client, db, world, team) -> None:
    task = world.task.id
    before = _state(db, task)
    for body in ({}, {"data": {}}):
        answer = _complete(client, team, task, body)
        assert answer.status_code == 422, answer.get_json()
        assert answer.get_json()["errors"] == {
            "toelichting": ["Vul dit veld in."],
            "aantal_bewoners": ["Vul dit veld in."],
        }
    assert _state(db, task) == before


def test_types_and_unknown_fields_are_refused_as_on_the_page(client, db, world, team) -> None:
    task = world.task.id
    before = _state(db, task)
    answer = _complete(
        client, team, task, {"data": {"toelichting": "kort", "aantal_bewoners": "veel"}}
    )
    assert answer.status_code == 422
    assert answer.get_json()["errors"] == {
        "toelichting": ["Gebruik minstens 5 tekens."],
        # The catalogue's words, as at the signal door (one rule for one value).
        "aantal_bewoners": ["is geen getal"],
    }
    answer = _complete(client, team, task, {"data": {**VALID, "aantal_bewoners": 40}})
    assert answer.get_json()["errors"] == {"aantal_bewoners": ["Het getal mag hoogstens 20 zijn."]}
    answer = _complete(client, team, task, {"data": {**VALID, "eerder_gemeld": False}})
    assert answer.get_json()["errors"] == {
        "eerder_gemeld": ["dit veld bestaat niet in het formulier"]
    }
    assert _state(db, task) == before
    # A valid form is stored as the page stores it: trimmed text, numbers as numbers.
    done = _complete(client, team, task, {"data": {**VALID, "toelichting": " gebeld "}})
    assert done.status_code == 200, done.get_json()
    status, data, _status, _events = _state(db, task)
    assert status == "completed"
    assert (data["toelichting"], data["aantal_bewoners"]) == ("gebeld", 3)


def test_the_command_line_checks_the_form_too(db, world) -> None:
    task = world.task.id
    before = _state(db, task)
    result = CliRunner().invoke(
        main, ["--database", db.url, "tasks", "complete", task, "--data", "{}"]
    )
    assert result.exit_code == 1
    assert "toelichting: Vul dit veld in." in result.output
    assert _state(db, task) == before
    result = CliRunner().invoke(
        main, ["--database", db.url, "tasks", "complete", task, "--data", json.dumps(VALID)]
    )
    assert result.exit_code == 0, result.output
    assert _state(db, task)[0] == "completed"


def test_completing_over_the_api_removes_the_drafts(app, client, db, world, team) -> None:
    task = world.task.id
    page = app.test_client()
    login(page, "sanne")
    saved = page.post(
        f"/taken/{task}",
        data={
            "csrf_token": csrf(page, f"/taken/{task}"),
            "actie": "concept",
            "data": json.dumps({"toelichting": "half af"}),
        },
    )
    assert saved.status_code == 302

    def drafts() -> int:
        with db.session() as session:
            return len(session.scalars(select(TaskDraft).where(TaskDraft.task_id == task)).all())

    assert drafts() == 1
    assert _complete(client, team, task, {}).status_code == 422
    assert drafts() == 1  # a refusal keeps the draft
    assert _complete(client, team, task, {"data": VALID}).status_code == 200
    assert drafts() == 0

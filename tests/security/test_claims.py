"""Issue 16, items 4 and 5: who may give a task to whom.

A token claimed a task for any name, also for nobody that exists, and a user of another
organisation then completed it; a manager released another organisation's task from the
monitoring page. Claiming is for oneself; giving a task to someone else is for a team lead
of the task's candidate group, and only to an active member of that group. The inbox, the
API, the command line and the managers' page apply the one check (app.tasks.service)."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from app.auth import service as auth
from app.auth.tokens import create_token
from app.cli import main
from app.engine.errors import InvalidInput, NotFound
from app.engine.models import HumanTask
from app.privacy import context, logs
from app.tasks import service as tasks
from app.tasks.service import Forbidden
from tests.auth.test_login import csrf, login
from tests.cases.support import secret_of, seed, signal, token
from tests.manage.pages import token as page_token
from tests.support.orgs import user


@pytest.fixture
def world(db, clock, app):  # type: ignore[no-untyped-def]
    world = seed(db, secret_of(app), [signal(1), signal(2)])
    user(db, "mark", "wonen-limburg", roles=("manager",))  # the corporation's manager
    user(db, "ex", "weert-swt")  # a member of the team who has left
    with db.transaction() as session:
        auth.user(session, "ex").active = False
    return world


def _assignee(db, task_id: str) -> str | None:  # type: ignore[no-untyped-def]
    with db.session() as session:
        return session.get(HumanTask, task_id).assignee


def _principal(db, username: str):  # type: ignore[no-untyped-def]
    with db.session() as session:
        return auth.principal_for_user(auth.user(session, username))


def test_a_team_token_cannot_hand_a_task_to_another_organisation(app, client, db, world) -> None:
    team = {"Authorization": f"Bearer {token(db, 'weert-swt', ['tasks:read', 'tasks:write'])}"}
    task = world.task.id
    answer = client.post(f"/api/v1/tasks/{task}/claim", headers=team, json={"user": "henk"})
    assert answer.status_code == 403, answer.get_json()
    assert "user" in answer.get_json()["errors"]
    assert _assignee(db, task) is None
    # So Haarlem's henk never gets to see the task, let alone complete it.
    henk = app.test_client()
    login(henk, "henk")
    assert henk.get(f"/taken/{task}").status_code == 404


def test_nobody_gets_a_task_under_a_name_that_is_not_a_member(client, db, world) -> None:
    with db.transaction() as session:
        _row, secret = create_token(session, "beheer", ["tasks:write"])
    operator = {"Authorization": f"Bearer {secret}"}
    task = world.task.id
    for name in ("niemand", "henk", "ex", "marieke"):
        answer = client.post(f"/api/v1/tasks/{task}/claim", headers=operator, json={"user": name})
        assert answer.status_code == 422, (name, answer.get_json())
        assert "user" in answer.get_json()["errors"]
    assert _assignee(db, task) is None
    # The installation's own token gives it to an active member of the task's team.
    answer = client.post(f"/api/v1/tasks/{task}/claim", headers=operator, json={"user": "samir"})
    assert answer.status_code == 200 and _assignee(db, task) == "samir"


def _claim(app, db, username: str, task_id: str, for_user: str | None) -> None:  # type: ignore[no-untyped-def]
    """Claim through the service as a person would (log lines wait for the transaction, as
    in a web request: SQLite has one writer)."""
    context.begin("test", deferred=True)
    try:
        with db.transaction() as session:
            tasks.claim(
                app.extensions["stroom"].db,
                session,
                _principal(db, username),
                task_id,
                for_user,
                None,
                secret_of(app),
            )
        logs.flush(db)
    finally:
        context.end()


def test_claim_for_oneself_and_for_a_member_only_as_team_lead(app, db, world) -> None:
    first, second = (t.id for t in world.tasks[:2])
    with pytest.raises(Forbidden):
        _claim(app, db, "sanne", first, "samir")
    with pytest.raises(NotFound):  # not her team's task
        _claim(app, db, "henk", first, "henk")
    for name in ("henk", "marieke", "ex", "niemand"):
        with pytest.raises(InvalidInput) as refused:
            _claim(app, db, "tineke", first, name)
        assert list(refused.value.fields) == ["user"]
    assert _assignee(db, first) is None
    _claim(app, db, "tineke", first, "samir")
    _claim(app, db, "sanne", second, None)
    assert (_assignee(db, first), _assignee(db, second)) == ("samir", "sanne")


def test_the_command_line_gives_tasks_only_to_members(db, world) -> None:
    runner = CliRunner()

    def run(*args: str):  # type: ignore[no-untyped-def]
        return runner.invoke(main, ["--database", db.url, *args])

    task = world.task.id
    refused = run("tasks", "claim", task, "--user", "henk")
    assert refused.exit_code == 1 and "henk hoort niet bij de teams" in refused.output
    assert _assignee(db, task) is None
    assert run("tasks", "claim", task, "--user", "sanne").exit_code == 0
    assert _assignee(db, task) == "sanne"
    listed = json.loads(run("tasks", "list", "--assignee", "sanne", "--json").output)
    assert [t["id"] for t in listed] == [task]


def test_a_manager_cannot_hand_out_another_organisations_task(app, db, world) -> None:
    task = world.task.id
    _claim(app, db, "sanne", task, None)
    mark = app.test_client()
    login(mark, "mark")
    page = mark.get(f"/processen/instanties/{world.case}")
    assert page.status_code == 200  # the corporation plays a part in the case
    html = page.get_data(as_text=True)
    path = f"/processen/taken/{task}/toewijzen"
    for target in ("", "marieke", "samir"):
        answer = mark.post(
            path,
            data={"csrf_token": page_token(html), "toewijzen": target, "reden": "weg ermee graag"},
        )
        assert answer.status_code == 404, (target, answer.status_code)
        assert _assignee(db, task) == "sanne"
    # Nor does the page offer it: the social team's task is not his to hand out.
    assert "aan iemand anders geven" not in mark.get(
        f"/processen/instanties/{world.case}"
    ).get_data(as_text=True)
    # The team's own lead (a member of the task's group) may.
    lead = app.test_client()
    login(lead, "tineke")
    assert (
        lead.post(
            "/taken/verdelen",
            data={
                "csrf_token": csrf(lead, "/taken"),
                "taken": [task],
                "medewerker": "samir",
                "reden": "sanne is ziek",
            },
        ).status_code
        == 302
    )
    assert _assignee(db, task) == "samir"

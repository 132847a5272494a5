"""Handing one's own task to a colleague, with a reason (issue 21): the colleague must be
able to work on the task, the reason goes into the case's history and the audit log; only
the holder can hand a task on."""

from __future__ import annotations

from sqlalchemy import select

from app.engine import service as engine
from app.engine.models import HumanTask, InstanceEvent
from tests.auth.test_login import csrf, login
from tests.cases.support import audits, secret_of, seed


def _assignee(db, task_id: str) -> str | None:  # type: ignore[no-untyped-def]
    with db.session() as session:
        return session.get(HumanTask, task_id).assignee


def _delegate(client, task_id: str, **form: str):  # type: ignore[no-untyped-def]
    token = csrf(client, f"/taken/{task_id}")
    return client.post(
        f"/taken/{task_id}/overdragen", data={"csrf_token": token, **form}, follow_redirects=True
    )


def test_the_holder_hands_a_task_to_a_colleague_with_a_reason(db, clock, app, client) -> None:  # type: ignore[no-untyped-def]
    world = seed(db, secret_of(app))
    task = world.task
    with db.transaction() as session:
        engine.claim_task(session, task.id, "sanne", "user:sanne")
    login(client, "sanne")
    page = client.get(f"/taken/{task.id}").get_data(as_text=True)
    assert "Overdragen aan een collega" in page and 'value="samir"' in page
    assert 'value="henk"' not in page  # another organisation's worker is no colleague

    # Refused, and nothing changes: no reason, nobody, someone outside the task's teams.
    answer = _delegate(client, task.id, collega="samir", reden="")
    assert "geef een reden" in answer.get_data(as_text=True)
    answer = _delegate(client, task.id, collega="", reden="Ziek")
    assert "kies een collega" in answer.get_data(as_text=True)
    answer = _delegate(client, task.id, collega="henk", reden="Ander team")
    assert "hoort niet bij de teams van deze taak" in answer.get_data(as_text=True)
    assert _assignee(db, task.id) == "sanne"

    answer = _delegate(client, task.id, collega="samir", reden="Samir kent het gezin al")
    assert "De taak is overgedragen aan samir." in answer.get_data(as_text=True)
    assert _assignee(db, task.id) == "samir"
    with db.session() as session:
        assigned = session.scalars(
            select(InstanceEvent.details).where(
                InstanceEvent.instance_id == task.instance_id,
                InstanceEvent.kind == "task_assigned",
            )
        ).all()
    assert assigned[-1]["reason"] == "Samir kent het gezin al"
    (audit,) = audits(db, "taak.overdragen")
    assert audit.details["gebruiker"] == "samir" and audit.details["vorige"] == "sanne"

    # Now that it is Samir's, Sanne can no longer hand it on.
    answer = _delegate(client, task.id, collega="tineke", reden="Terug")
    assert "alleen wie de taak op naam heeft" in answer.get_data(as_text=True)
    assert _assignee(db, task.id) == "samir"


def test_claim_and_release_from_the_list(db, clock, app, client) -> None:  # type: ignore[no-untyped-def]
    world = seed(db, secret_of(app))
    task = world.task
    login(client, "sanne")
    group = client.get("/taken?tab=groep").get_data(as_text=True)
    assert f'action="/taken/{task.id}/claimen"' in group
    token = csrf(client, "/taken?tab=groep")
    client.post(f"/taken/{task.id}/claimen", data={"csrf_token": token})
    assert _assignee(db, task.id) == "sanne"

    mine = client.get("/taken?tab=mijn").get_data(as_text=True)
    assert f'action="/taken/{task.id}/vrijgeven"' in mine
    answer = client.post(
        f"/taken/{task.id}/vrijgeven",
        data={"csrf_token": token, "terug": "/taken?tab=mijn"},
    )
    assert answer.status_code == 302 and answer.headers["Location"] == "/taken?tab=mijn"
    assert _assignee(db, task.id) is None


def test_a_follow_up_day_on_a_task(db, clock, app, client) -> None:  # type: ignore[no-untyped-def]
    """A reminder for the team (issue 21): set on the task page, shown there and in the
    inbox; not in the past, not more than a year ahead; cleared by leaving it empty."""
    from app.tasks.models import TaskFollowUp

    world = seed(db, secret_of(app))
    task = world.task
    login(client, "sanne")
    token = csrf(client, f"/taken/{task.id}")

    def set_day(day: str) -> str:
        answer = client.post(
            f"/taken/{task.id}/opvolgen",
            data={"csrf_token": token, "opvolgen": day},
            follow_redirects=True,
        )
        return answer.get_data(as_text=True)

    assert "kies vandaag of later" in set_day("2026-03-01")  # the clock says 2 March 2026
    assert "hoogstens een jaar vooruit" in set_day("2027-06-01")
    assert "JJJJ-MM-DD" in set_day("volgende week")
    page = set_day("2026-03-05")
    assert "Opvolgen op do 5 mrt 2026." in page and 'value="2026-03-05"' in page
    inbox = client.get("/taken?tab=groep").get_data(as_text=True)
    assert "opvolgen" in inbox and "do 5 mrt 2026" in inbox
    with db.session() as session:
        row = session.get(TaskFollowUp, task.id)
        assert (str(row.follow_up_on), row.set_by) == ("2026-03-05", "sanne")

    assert "Opvolgdatum gewist." in set_day("")
    with db.session() as session:
        assert session.get(TaskFollowUp, task.id) is None

    # Another organisation cannot see the task, so cannot set its day either.
    henk = app.test_client()
    login(henk, "henk")
    refused = henk.post(
        f"/taken/{task.id}/opvolgen",
        data={"csrf_token": csrf(henk, "/taken"), "opvolgen": "2026-03-05"},
    )
    assert refused.status_code == 404

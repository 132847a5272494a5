"""Claim, release and reassign: a reason is optional for one's own claim and release, and
required when a team lead moves someone else's work; a task goes only to someone who may
work on it (a member of its candidate groups); every step writes an audit line."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from app.auth import service as auth
from app.engine.errors import InvalidInput, NotFound
from app.engine.models import HumanTask
from app.tasks import service as tasks
from tests.auth.test_login import csrf, login
from tests.cases.support import audits, secret_of, seed
from tests.support.orgs import user


@pytest.fixture
def world(db, clock, app):  # type: ignore[no-untyped-def]
    world = seed(db, secret_of(app))
    # A second team in the same organisation, led by tineke too: piet is her team member,
    # but not a candidate for the social team's tasks.
    with db.transaction() as session:
        auth.create_group(session, "weert-schuld", "Schuldhulp Weert", "weert-swt")
    user(db, "piet", "weert-swt", groups=("weert-schuld",))
    user(db, "hanna", "haarlem-swt", roles=("behandelaar", "teamleider"))  # another organisation
    with db.transaction() as session:
        lead = session.scalar(select(auth.User).where(auth.User.username == "tineke"))
        group = session.scalar(select(auth.Group).where(auth.Group.key == "weert-schuld"))
        session.add(auth.GroupMember(user_id=lead.id, group_id=group.id))
    return world


def _assignee(db, task_id: str) -> str | None:  # type: ignore[no-untyped-def]
    with db.session() as session:
        return session.get(HumanTask, task_id).assignee


def _client(app, username: str):  # type: ignore[no-untyped-def]
    client = app.test_client()
    assert login(client, username).status_code == 302
    return client


def _post(client, url: str, **data):  # type: ignore[no-untyped-def]
    return client.post(url, data={"csrf_token": csrf(client, "/taken"), **data})


def test_claim_and_release_need_no_reason_and_are_audited(app, world, db) -> None:
    task = world.task.id
    client = _client(app, "sanne")
    assert _post(client, f"/taken/{task}/claimen").status_code == 302
    assert _assignee(db, task) == "sanne"
    assert _post(client, f"/taken/{task}/vrijgeven").status_code == 302
    assert _assignee(db, task) is None
    assert _post(client, f"/taken/{task}/claimen", reden="ik pak hem op").status_code == 302
    lines = [(a.action, a.actor, a.object_id, a.details.get("reden")) for a in audits(db)]
    assert [line for line in lines if line[0].startswith("taak.")] == [
        ("taak.claimen", "user:sanne", task, None),
        ("taak.vrijgeven", "user:sanne", task, None),
        ("taak.claimen", "user:sanne", task, "ik pak hem op"),
    ]


def test_a_colleague_cannot_release_someone_elses_claim(app, world, db) -> None:
    task = world.task.id
    _post(_client(app, "sanne"), f"/taken/{task}/claimen")
    answer = _post(_client(app, "samir"), f"/taken/{task}/vrijgeven", reden="weg ermee")
    assert answer.status_code == 302 and _assignee(db, task) == "sanne"
    assert [a.action for a in audits(db) if a.action.startswith("taak.")] == ["taak.claimen"]


def test_a_team_lead_releases_someone_elses_claim_only_with_a_reason(app, world, db) -> None:
    task = world.task.id
    _post(_client(app, "sanne"), f"/taken/{task}/claimen")
    lead = _client(app, "tineke")
    answer = _post(lead, f"/taken/{task}/vrijgeven")
    assert answer.status_code == 302 and _assignee(db, task) == "sanne"
    assert "geef een reden" in lead.get("/taken").get_data(as_text=True)
    assert _post(lead, f"/taken/{task}/vrijgeven", reden="Sanne is ziek").status_code == 302
    assert _assignee(db, task) is None
    line = audits(db, "taak.vrijgeven")[-1]
    assert (line.actor, line.details["reden"], line.details["vorige"]) == (
        "user:tineke",
        "Sanne is ziek",
        "sanne",
    )


def test_distributing_needs_a_reason_and_a_candidate(app, world, db) -> None:
    ids = [t.id for t in world.tasks]
    lead = _client(app, "tineke")
    # No reason: nothing changes, nothing is audited.
    _post(lead, "/taken/verdelen", taken=ids, medewerker="samir", reden="")
    assert {_assignee(db, i) for i in ids} == {None}
    # piet is in tineke's team, but not in the tasks' group: a clear refusal, for all.
    answer = _post(lead, "/taken/verdelen", taken=ids, medewerker="piet", reden="verdeling")
    assert answer.status_code == 302
    page = lead.get(answer.headers["Location"]).get_data(as_text=True)
    assert "piet hoort niet bij de teams van deze taak (weert-swt)" in page
    assert {_assignee(db, i) for i in ids} == {None}
    assert not [a for a in audits(db) if a.action.startswith("taak.")]
    # A candidate, with a reason: every task is hers, each with an audit line.
    answer = _post(lead, "/taken/verdelen", taken=ids, medewerker="samir", reden="verdeling")
    assert {_assignee(db, i) for i in ids} == {"samir"}
    lines = audits(db, "taak.verdelen")
    assert sorted(a.object_id for a in lines) == sorted(ids)
    assert {(a.actor, a.details["gebruiker"], a.details["reden"]) for a in lines} == {
        ("user:tineke", "samir", "verdeling")
    }
    # Released again, all at once, with a reason.
    _post(lead, "/taken/verdelen", taken=ids, medewerker="", reden="terug naar het team")
    assert {_assignee(db, i) for i in ids} == {None}
    assert len(audits(db, "taak.vrijgeven")) == len(ids)


def test_only_team_leads_distribute(app, world, db) -> None:
    answer = _post(
        _client(app, "sanne"),
        "/taken/verdelen",
        taken=[world.task.id],
        medewerker="samir",
        reden="zelf verdelen",
    )
    assert answer.status_code == 403
    assert _assignee(db, world.task.id) is None


def test_reassign_refuses_in_the_service_too(app, world, db) -> None:
    from app.auth.service import principal_for_user

    with db.session() as session:
        lead = principal_for_user(
            session.scalar(select(auth.User).where(auth.User.username == "tineke"))
        )
        worker = principal_for_user(
            session.scalar(select(auth.User).where(auth.User.username == "sanne"))
        )
        other_lead = principal_for_user(
            session.scalar(select(auth.User).where(auth.User.username == "hanna"))
        )
        task = world.task.id
        with pytest.raises(InvalidInput) as refused:
            tasks.check_reassign(session, lead, task, "piet", "verdeling")
        assert list(refused.value.fields) == ["medewerker"]
        with pytest.raises(InvalidInput) as refused:
            tasks.check_reassign(session, lead, task, "samir", "  ")
        assert list(refused.value.fields) == ["reden"]
        with pytest.raises(tasks.Forbidden):
            tasks.check_reassign(session, worker, task, "samir", "verdeling")
        with pytest.raises(NotFound):
            tasks.check_reassign(session, other_lead, task, "samir", "verdeling")
        assert tasks.check_reassign(session, lead, task, "samir", "verdeling").id == task
        assert tasks.check_reassign(session, lead, task, None, "vrijgeven").id == task

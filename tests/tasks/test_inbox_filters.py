"""The inbox's filters, free-text search and saved filters.

Search finds a case by its number, its task's name, and the household's name only where the
viewer may see that name: a case whose catalogue hides the name from the task's party is not
found by it (and shows no name), so a search can never reveal it."""

from __future__ import annotations

import json
import re
from dataclasses import replace
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select, update

from app import clock as clock_module
from app.auth.principal import SYSTEM
from app.auth.service import principal_for_user
from app.cases.service import start_case
from app.engine import service as engine
from app.engine.models import HumanTask, HumanTaskGroup
from app.tasks import inbox
from app.tasks.models import SavedFilter
from tests.auth.test_login import csrf, login
from tests.cases.support import secret_of, seed, signal
from tests.support.engine import FIXTURES, deploy_paths, write_variant
from tests.support.orgs import bind


def _hidden_name_variant(tmp_path) -> Path:  # type: ignore[no-untyped-def]
    """The inbox process again, as `test_verborgen`, whose catalogue lets only the
    corporation read the name."""
    xml = (FIXTURES / "inbox.bpmn").read_text().replace("test_inbox", "test_verborgen")
    catalogue = (FIXTURES / "inbox.catalogus.yaml").read_text()
    catalogue = catalogue.replace("proces: test_inbox", "proces: test_verborgen")
    catalogue = re.sub(
        r"(  naam: \{.*?)lezen: \{corporatie: \"\*\", wijkteam: \"\*\"\}",
        r'\1lezen: {corporatie: "*"}',
        catalogue,
    )
    assert (
        "naam: {omschrijving: Naam" in catalogue
        and catalogue.count('lezen: {corporatie: "*"}') == 1
    )
    return write_variant(tmp_path, "verborgen.bpmn", xml, catalogue)


def _set(db, task_id: str, **values) -> None:  # type: ignore[no-untyped-def]
    """Deadline or priority on the task and on its group rows (which repeat them)."""
    with db.transaction() as session:
        session.execute(update(HumanTask).where(HumanTask.id == task_id).values(**values))
        session.execute(
            update(HumanTaskGroup).where(HumanTaskGroup.task_id == task_id).values(**values)
        )


@pytest.fixture
def world(db, clock, app, tmp_path):  # type: ignore[no-untyped-def]
    """Four reported cases (two with 3+ months of arrears: high priority), one case of the
    hidden-name process, and one case a step further (its feedback task open)."""
    world = seed(db, secret_of(app), [signal(1), signal(2, 3), signal(3), signal(4, 4), signal(5)])
    deploy_paths(db, _hidden_name_variant(tmp_path))
    bind(db, "test_verborgen", "weert", "wijkteam", "weert-swt")
    data = {**signal(9, name="Familie Geheim"), "maanden_achterstand": 2}
    with db.transaction() as session:
        hidden = start_case(
            session,
            SYSTEM,
            "test_verborgen",
            business_key="VB-0001",
            data=data,
            municipality="weert",
        )
        hidden_id = hidden.id
    t1, t2, t3, t4, t5 = world.tasks
    with db.transaction() as session:
        engine.claim_task(session, t1.id, "sanne", "user:sanne")
        engine.complete_task(
            session,
            t5.id,
            {"toelichting": "Gebeld met de huurder.", "aantal_bewoners": 2},
            "user:sanne",
        )
    now = clock_module.now()
    _set(db, t1.id, due_at=now - timedelta(days=1))
    _set(db, t2.id, due_at=now + timedelta(hours=2))
    _set(db, t3.id, due_at=now + timedelta(days=20))
    _set(db, t4.id, due_at=now + timedelta(days=3))
    with db.session() as session:
        hidden_task = session.scalars(
            select(HumanTask).where(HumanTask.instance_id == hidden_id)
        ).one()
        feedback = session.scalars(
            select(HumanTask).where(HumanTask.element_id == "terugkoppelen")
        ).one()
        names = {u: _principal(session, u) for u in ("sanne", "samir", "tineke", "marieke")}
    _set(db, hidden_task.id, due_at=now + timedelta(days=30))
    _set(db, feedback.id, due_at=None)
    return {
        "t1": t1.id,
        "t2": t2.id,
        "t3": t3.id,
        "t4": t4.id,
        "hidden": hidden_task.id,
        "feedback": feedback.id,
        "who": names,
        "keys": {**world.keys, hidden_id: "VB-0001"},
        "case_of": {t.id: t.instance_id for t in world.tasks} | {hidden_task.id: hidden_id},
    }


def _principal(session, username: str):  # type: ignore[no-untyped-def]
    from app.auth.models import User

    return principal_for_user(session.scalar(select(User).where(User.username == username)))


def _ids(db, world, viewer: str = "sanne", **filters) -> set[str]:  # type: ignore[no-untyped-def]
    with db.session() as session:
        page = inbox.page(
            session, world["who"][viewer], inbox.Filters(**filters), clock_module.now()
        )
    found = {r.task.id for r in page.rows}
    return {k for k, v in world.items() if isinstance(v, str) and v in found}


def test_tabs(db, world) -> None:
    every = {"t1", "t2", "t3", "t4", "hidden", "feedback"}
    assert _ids(db, world, tab="mijn") == {"t1"}
    assert _ids(db, world, tab="groep") == every - {"t1"}
    assert _ids(db, world, tab="team") == set()  # sanne is no team lead
    assert _ids(db, world, "tineke", tab="team") == every
    assert _ids(db, world, "marieke", tab="groep") == set()  # the corporation works no tasks


def test_each_filter(db, world) -> None:
    team = {"viewer": "tineke", "tab": "team"}
    assert _ids(db, world, **team, process="test_verborgen") == {"hidden"}
    assert _ids(db, world, **team, process="test_inbox") == {"t1", "t2", "t3", "t4", "feedback"}
    assert _ids(db, world, **team, element="terugkoppelen") == {"feedback"}
    assert _ids(db, world, **team, due="te-laat") == {"t1"}
    assert _ids(db, world, **team, due="vandaag") == {"t2"}
    assert _ids(db, world, **team, due="deze-week") == {"t2", "t4"}
    assert _ids(db, world, **team, priority="hoog") == {"t2", "t4"}
    assert _ids(db, world, **team, assignee="sanne") == {"t1"}
    assert _ids(db, world, **team, assignee="samir") == set()
    # Filters combine, on the group tab as on the team tab.
    assert _ids(db, world, tab="groep", priority="hoog", due="vandaag") == {"t2"}
    assert _ids(db, world, **team, process="test_inbox", priority="hoog", due="te-laat") == set()


def test_bad_filters_are_refused(client, world) -> None:
    login(client, "sanne")
    assert client.get("/taken?tab=alles").status_code == 400
    assert client.get("/taken?sort=willekeurig").status_code == 400
    assert client.get("/taken?q=" + "x" * 101).status_code == 400


def test_search_by_case_number_task_and_permitted_name(db, world) -> None:
    key_t2 = world["keys"][world["case_of"][world["t2"]]]
    assert _ids(db, world, "tineke", tab="team", q=key_t2.lower()) == {"t2"}
    assert _ids(db, world, "tineke", tab="team", q="TERUGKOP") == {"feedback"}
    assert _ids(db, world, "tineke", tab="team", q="jansen-4") == {"t4"}
    assert _ids(db, world, "tineke", tab="team", q="Familie") == {
        "t1",
        "t2",
        "t3",
        "t4",
        "feedback",
    }
    # The hidden process's name is no way in; its case number is.
    assert _ids(db, world, "tineke", tab="team", q="Geheim") == set()
    assert _ids(db, world, "tineke", tab="team", q="VB-0001") == {"hidden"}
    with db.session() as session:
        page = inbox.page(
            session,
            world["who"]["tineke"],
            inbox.Filters(tab="team", q="VB-0001"),
            clock_module.now(),
        )
    assert [r.name for r in page.rows] == [None]


def test_search_on_the_page_never_shows_a_hidden_name(client, world) -> None:
    login(client, "sanne")
    page = client.get("/taken?tab=groep&q=VB-0001").get_data(as_text=True)
    assert "VB-0001" in page and "Geheim" not in page
    page = client.get("/taken?tab=groep&q=Geheim").get_data(as_text=True)
    assert "Er zijn geen taken die aan dit filter voldoen." in page
    page = client.get("/taken?tab=groep&q=Jansen-2").get_data(as_text=True)
    assert "Familie Jansen-2" in page and "Familie Jansen-3" not in page


def _save(client, name: str, query: dict | str):  # type: ignore[no-untyped-def]
    return client.post(
        "/taken/filters",
        data={
            "csrf_token": csrf(client, "/taken"),
            "naam": name,
            "query": query if isinstance(query, str) else json.dumps(query),
        },
    )


def test_saved_filters_are_made_used_and_deleted_by_their_owner_only(app, db, world) -> None:
    sanne = app.test_client()
    login(sanne, "sanne")
    saved = _save(sanne, "Hoog", {"tab": "groep", "priority": "hoog", "onzin": "x"})
    assert saved.status_code == 302
    assert "priority=hoog" in saved.headers["Location"]
    _save(sanne, "Hoog", {"tab": "groep", "priority": "hoog", "due": "vandaag"})  # replaced
    with db.session() as session:
        rows = session.scalars(select(SavedFilter)).all()
        assert [(r.name, r.query) for r in rows] == [
            ("Hoog", {"tab": "groep", "priority": "hoog", "due": "vandaag"})
        ]
        filter_id = rows[0].id

    # Use it: the link on the inbox applies the filter.
    page = sanne.get("/taken").get_data(as_text=True)
    link = re.search(r'<a class="utrecht-link utrecht-link--html-a" href="([^"]+)">Hoog</a>', page)
    assert link, "the saved filter is listed"
    used = sanne.get(link.group(1).replace("&amp;", "&")).get_data(as_text=True)
    assert "Familie Jansen-2" in used
    assert "Familie Jansen-4" not in used and "Familie Jansen-3" not in used

    # Someone else neither sees nor deletes it.
    samir = app.test_client()
    login(samir, "samir")
    assert ">Hoog</a>" not in samir.get("/taken").get_data(as_text=True)
    token = csrf(samir, "/taken")
    assert (
        samir.post(
            f"/taken/filters/{filter_id}/verwijderen", data={"csrf_token": token}
        ).status_code
        == 404
    )
    # Nonsense is refused rather than stored.
    assert _save(sanne, "Kapot", "[1, 2]").status_code == 400
    assert _save(sanne, "Kapot", "{niet json").status_code == 400
    assert _save(sanne, "Kapot", {"tab": "alles"}).status_code == 400

    token = csrf(sanne, "/taken")
    deleted = sanne.post(f"/taken/filters/{filter_id}/verwijderen", data={"csrf_token": token})
    assert deleted.status_code == 302
    with db.session() as session:
        assert session.scalars(select(SavedFilter)).all() == []


def test_menus_and_tab_counts_follow_the_rule_over_every_task(db, world) -> None:
    """The filter menus (read from the group rows, which repeat the task's kind) and the tab
    counts (one statement) against the rule written out over every task row: the kinds of
    open task offered to one of the viewer's groups (without groups: assigned to the
    viewer); per tab the open tasks it lists. Checked before and after tasks close and are
    claimed, and with a task offered to two of one viewer's groups."""

    def expected(session, viewer) -> tuple[set[tuple[str, str, str]], dict[str, int]]:  # type: ignore[no-untyped-def]
        tasks = session.scalars(select(HumanTask).where(HumanTask.status == "open")).all()
        offered = [t for t in tasks if viewer.groups & set(t.candidate_groups or [])]
        shown = offered if viewer.groups else [t for t in tasks if t.assignee == viewer.name]
        counts = {
            "mijn": sum(t.assignee == viewer.name for t in tasks),
            "groep": sum(t.assignee is None for t in offered),
            "team": len(offered) if viewer.has_role("teamleider") else 0,
        }
        return {(t.definition_key, t.element_id, t.name) for t in shown}, counts

    def check(viewers: dict) -> None:  # type: ignore[type-arg]
        with db.session() as session:
            for name, viewer in viewers.items():
                kinds, counts = expected(session, viewer)
                assert set(session.execute(inbox.open_kinds(viewer)).all()) == kinds, name
                assert inbox.tab_counts(session, viewer) == counts, name

    check(world["who"])
    with db.session() as session:
        assert session.execute(inbox.open_kinds(world["who"]["tineke"])).all()  # not vacuous
    with db.transaction() as session:
        engine.complete_task(
            session, world["t2"], {"toelichting": "Gebeld.", "aantal_bewoners": 1}, "user:sanne"
        )
        engine.claim_task(session, world["t3"], "samir", "user:samir")
    # The hidden-name case's task offered to a second group as well, as a diagram with two
    # candidate groups would: a viewer in both counts and lists it once.
    with db.transaction() as session:
        task = session.get(HumanTask, world["hidden"])
        row = session.get(HumanTaskGroup, (task.id, task.candidate_groups[0]))
        task.candidate_groups = [*task.candidate_groups, "tweede-team"]
        session.add(HumanTaskGroup(task_id=task.id, group_key="tweede-team", **_copies(row)))
    tineke = world["who"]["tineke"]
    check(
        {
            **world["who"],
            "both": replace(tineke, groups=tineke.groups | {"tweede-team"}),
            "second": replace(tineke, groups=frozenset({"tweede-team"})),
        }
    )


def _copies(row: HumanTaskGroup) -> dict[str, object]:
    from app.engine.waits import GROUP_COPIES

    return {c: getattr(row, c) for c in GROUP_COPIES}


def test_a_pages_deadlines_are_those_of_deadline_status() -> None:
    """The page works out each due day's status once; every moment of 40 days around now
    (hourly, across weekends, a holiday and today's own deadlines) gets what
    deadline_status gives it."""
    from datetime import UTC, datetime

    from app.calendar.deadlines import deadline_status

    now = datetime(2026, 12, 24, 10, 30, tzinfo=UTC)  # Christmas follows
    memo = inbox._Deadlines(now)
    moments = [now + timedelta(hours=h) for h in range(-20 * 24, 20 * 24)]
    assert [memo.status(m) for m in moments] == [deadline_status(m, now) for m in moments]
    assert {memo.status(m).status for m in moments} == {"te-laat", "vandaag", "op-tijd"}
    assert memo.status(None) is None

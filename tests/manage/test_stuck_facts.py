"""The stuck list read from its maintained facts (app/manage/stuck_reasons.py) equals the rule
computed from scratch (the list's own queries over every instance, `use_facts=False`), at
every moment: with the facts current, stale (marked) or half of each, while the clock jumps
both ways past limits, tasks are completed, incidents raised and resolved, cases suspended,
history rewritten and limits changed; and a refresh that dies halfway, or races a change,
leaves the facts consistent."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import delete, func, insert, select

from app.auth.principal import SYSTEM
from app.engine import hooks, service
from app.engine.models import (
    HumanTask,
    Incident,
    InstanceEvent,
    InstanceParty,
    ProcessInstance,
)
from app.manage import stuck, stuck_reasons
from app.manage.models import StuckFact, StuckMark
from app.manage.scope import Scope
from tests.manage.support import (
    NOW,
    THURSDAY,
    Scenario,
    org_id,
    row_values,
    scopes,
    set_limits,
)
from tests.support import handlers


def agree(db, expect_facts: bool | None = None, full: bool = True) -> dict[str, int]:
    """The list equals the rule for every scope (and with `full` every process filter and
    a page): rows (in order, every column), and counts that are those of the rule's rows;
    returns the operator's counts.
    expect_facts: True when facts exist, False when some instance is still marked."""
    with db.session() as session:
        pending = stuck_reasons.pending(session)
        facts = session.scalar(select(func.count()).select_from(StuckFact))
    if expect_facts is True:
        assert facts > 0
    elif expect_facts is False:
        assert pending > 0
    operator: dict[str, int] = {}
    for scope in scopes(db):
        for process in (None, "test_toezicht", "test_jobs") if full else (None,):
            filters = stuck.Filters(process=process)
            with db.session() as session:
                kept = [row_values(r) for r in stuck.all_rows(session, scope, filters)]
                by_rule = stuck.all_rows(session, scope, filters, use_facts=False)
                rule = [row_values(r) for r in by_rule]
                assert kept == rule, (scope, process)
                # The counts (a path of their own: late tasks counted on the task rows, the
                # facts on their index) are those of the rule's rows; a page is their start.
                if full:
                    listed = stuck.stuck_list(session, scope, filters, size=5)
                    shown = [row_values(r) for r in stuck.describe(session, by_rule[:5])]
                    assert [row_values(r) for r in listed.rows] == shown, (scope, process)
                    counts = listed.counts
                else:
                    counts = stuck.counts(session, scope, filters)
                assert counts == {r: sum(row[0] == r for row in rule) for r in stuck.REASONS}
            if scope.everything and not process:
                operator = counts
    return operator


def moments() -> list[Any]:
    """Forward past every limit and due date, then back (the simulation clock may jump)."""
    return [
        NOW,
        NOW + timedelta(days=2, hours=15),  # RISICO's due date passes (Thursday 12 March)
        NOW + timedelta(days=21),  # BERICHT's 14-day boundary timer long missed
        THURSDAY,
    ]


def over_time(db, clock, expect_facts: bool | None = None) -> set[str]:
    """`agree` at each of `moments()`; the reasons listed at any of them."""
    start, seen = clock.now(), set()
    for moment in moments():
        clock.set(moment)
        counts = agree(db, expect_facts, full=False)
        seen.update(reason for reason, n in counts.items() if n)
    clock.set(start)
    return seen


def forget(db) -> None:
    """The state migration 0021 leaves: no facts, every instance marked."""
    with db.transaction() as session:
        session.execute(delete(StuckFact))
        session.execute(
            insert(StuckMark).from_select(["instance_id", "tx"], select(ProcessInstance.id, 0))
        )


def tick(db) -> None:
    """The worker's tick, as the app registers it (app/assembly.py)."""
    (run,) = [t.run for t in hooks.worker_ticks if t.name == "stuck-facts"]
    while run(db):
        pass


# Some 1,400 lists and counts: 57-93 s on a 2-core machine with another test beside it when
# each was built afresh, and over the suite's 300 s there with three others (the PostgreSQL
# half timed out once, 7 December); 13-25 s since the list keeps its statements (8
# December). Slow, not stuck: the margin stays for a slower machine.
@pytest.mark.timeout(900)
def test_the_facts_give_the_rule_while_time_and_cases_move(db, scenario: Scenario) -> None:
    db_, clock = db, scenario.clock
    seen: set[str] = set()

    def check(expect_facts: bool | None = None) -> None:
        seen.update(over_time(db_, clock, expect_facts))
        counts = agree(db_, expect_facts)
        seen.update(reason for reason, n in counts.items() if n)

    forget(db)
    check(expect_facts=False)  # nothing built yet: every instance by the rule
    tick(db)
    with db.session() as session:
        assert stuck_reasons.pending(session) == 0
    check(expect_facts=True)  # every instance from its facts

    # A task completed: its instance is marked, the others still read from facts.
    scenario.complete("RISICO", "beoordelen", {"akkoord": True})
    with db.session() as session:
        marked = set(session.scalars(select(StuckMark.instance_id)))
    assert marked == {scenario.ids["RISICO"]}
    check(expect_facts=True)
    tick(db)
    check()

    # An incident resolved (the registry is back) and a new one raised.
    handlers.FAILURES["STORING"] = 0
    with db.transaction() as session:
        incident = session.scalars(
            select(Incident).where(Incident.instance_id == scenario.ids["STORING"])
        ).first()
        service.retry_incident(session, incident.id, SYSTEM.actor, "hersteld")
    scenario.jobs()
    handlers.FAILURES["STORING-2"] = -1
    scenario.start("test_jobs", "STORING-2", {"deler": 4})
    scenario.jobs(rounds=1 + scenario.settings.job_retries)
    check()
    tick(db)
    check()

    # Suspended and resumed; history events rewritten (as erasure may) and added.
    with db.transaction() as session:
        service.suspend_instance(session, scenario.ids["STIL"], SYSTEM.actor, "even niet")
    check()
    tick(db)
    check()
    with db.transaction() as session:
        service.resume_instance(session, scenario.ids["STIL"], SYSTEM.actor, "weer verder")
    tick(db)
    with db.transaction() as session:
        last = session.scalar(
            select(func.max(InstanceEvent.id)).where(
                InstanceEvent.instance_id == scenario.ids["STIL"]
            )
        )
        session.execute(delete(InstanceEvent).where(InstanceEvent.id == last))
    check()
    tick(db)
    check()

    # A party joins a case and leaves it again: who sees it changes with it.
    weert = org_id(db, "weert-sdv")
    with db.transaction() as session:
        session.add(
            InstanceParty(
                instance_id=scenario.ids["ANDERS"],
                party="meekijker",
                organisation_id=weert,
                group_key="weert-sdv",
            )
        )
    check()
    tick(db)
    with db.session() as session:
        listed = stuck.all_rows(session, Scope(weert))
    assert scenario.ids["ANDERS"] in {r.instance_id for r in listed}
    check(expect_facts=True)
    with db.transaction() as session:
        session.execute(
            delete(InstanceParty).where(
                InstanceParty.instance_id == scenario.ids["ANDERS"],
                InstanceParty.party == "meekijker",
            )
        )
    check()
    tick(db)

    # Limits changed by a process owner: shown at once, without any refresh.
    set_limits(
        db,
        ("weert", "max_wachttijd_werkdagen_nabellen", 1),
        ("weert", "max_berichtwachttijd_werkdagen", 2),
        ("roermond", "risico_werkdagen", 6),
        ("weert", "max_wachttijd_werkdagen", 0),
    )
    with db.session() as session:
        assert stuck_reasons.pending(session) == 0
    check(expect_facts=True)
    # More cases and work while the clock runs, refreshed only now and then.
    clock.set(NOW + timedelta(days=1))
    scenario.start("test_toezicht", "LATER", {"bedrag": 700})
    scenario.jobs()
    check()
    scenario.complete("LATER", "beoordelen", {"akkoord": False})
    tick(db)
    check()
    assert seen >= {"storing", "timer", "te-laat", "risico", "bericht", "stil", "opgeschort"}


def test_a_refresh_that_dies_halfway_leaves_the_facts_consistent(
    db, scenario: Scenario, monkeypatch: pytest.MonkeyPatch
) -> None:
    tick(db)
    scenario.complete("RISICO", "beoordelen", {"akkoord": True})
    scenario.clock.advance(timedelta(hours=1))
    scenario.start("test_toezicht", "NIEUW", {"bedrag": 100})

    def snapshot() -> tuple[list[Any], list[Any]]:
        with db.session() as session:
            marks = session.execute(
                select(StuckMark.id, StuckMark.instance_id).order_by(StuckMark.id)
            ).all()
            facts = session.execute(
                select(StuckFact.instance_id, StuckFact.kind, StuckFact.element_id).order_by(
                    StuckFact.instance_id, StuckFact.kind, StuckFact.element_id
                )
            ).all()
        return marks, facts

    before = snapshot()
    assert len({m.instance_id for m in before[0]}) == 2
    # Killed after the first instance's facts were deleted and rebuilt: one instance per
    # chunk, and the second chunk's facts fail.
    monkeypatch.setattr(stuck_reasons, "CHUNK", 1)
    real, calls = stuck_reasons.facts, []

    def dying(session: Any, ids: list[str]) -> list[dict[str, Any]]:
        calls.append(ids)
        if len(calls) == 2:
            raise RuntimeError("worker killed")
        return real(session, ids)

    monkeypatch.setattr(stuck_reasons, "facts", dying)
    with pytest.raises(RuntimeError):
        stuck_reasons.refresh(db)
    assert len(calls) == 2
    assert snapshot() == before  # rolled back: the same marks and facts
    over_time(db, scenario.clock, expect_facts=True)
    # The worker's tick logs the failure and goes on; the next one completes the work.
    monkeypatch.setattr(stuck_reasons, "facts", real)
    tick(db)
    assert snapshot()[0] == []
    over_time(db, scenario.clock, expect_facts=True)


@pytest.mark.postgres_only
def test_a_change_committed_during_a_refresh_keeps_its_instance_marked(
    db, scenario: Scenario, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Under READ COMMITTED the refresh's facts may be computed before a change commits; the
    change's own mark, which the refresh did not read, keeps the list on the rule for that
    instance. A second worker meanwhile finds the refresh lock taken and does nothing."""
    tick(db)
    scenario.complete("RISICO", "beoordelen", {"akkoord": False})  # marks RISICO
    real = stuck_reasons.facts
    raced: list[int] = []

    def racing(session: Any, ids: list[str]) -> list[dict[str, Any]]:
        rows = real(session, ids)  # computed from the state before the change below
        if not raced:
            raced.append(stuck_reasons.refresh(db))  # another worker: the lock is held
            scenario.complete("RISICO", "nabellen", {})
        return rows

    monkeypatch.setattr(stuck_reasons, "facts", racing)
    assert stuck_reasons.refresh(db) == 1
    assert raced == [0]
    with db.session() as session:
        assert set(session.scalars(select(StuckMark.instance_id))) == {scenario.ids["RISICO"]}
        stale = session.scalars(
            select(StuckFact.element_id).where(StuckFact.instance_id == scenario.ids["RISICO"])
        ).all()
        open_now = session.scalars(
            select(HumanTask.element_id).where(
                HumanTask.instance_id == scenario.ids["RISICO"], HumanTask.status == "open"
            )
        ).all()
    assert sorted(stale) != sorted(open_now)  # the facts are stale, and marked so
    over_time(db, scenario.clock, expect_facts=True)
    monkeypatch.setattr(stuck_reasons, "facts", real)
    tick(db)
    over_time(db, scenario.clock, expect_facts=True)


def test_facts_of_another_definition_are_never_read(
    db, scenario: Scenario, monkeypatch: pytest.MonkeyPatch
) -> None:
    """New code that defines facts otherwise (FACTS_VERSION) reads the rule until its first
    refresh has moved the table to its version and marked every instance; older code still
    running then reads the rule and refreshes nothing."""
    from app.manage.models import StuckFactVersion

    tick(db)
    monkeypatch.setattr(stuck_reasons, "FACTS_VERSION", 2)
    with db.session() as session:
        assert not stuck_reasons.current(session)
    agree(db)
    assert stuck_reasons.refresh(db) > 0  # the move: version 2, every instance marked
    with db.session() as session:
        assert session.scalar(select(StuckFactVersion.version)) == 2
        assert stuck_reasons.pending(session) == session.scalar(
            select(func.count()).select_from(ProcessInstance)
        )
    over_time(db, scenario.clock, expect_facts=False)
    tick(db)
    over_time(db, scenario.clock, expect_facts=True)
    monkeypatch.setattr(stuck_reasons, "FACTS_VERSION", 1)  # a worker not yet upgraded
    scenario.complete("RISICO", "beoordelen", {"akkoord": True})
    assert stuck_reasons.refresh(db) == 0
    with db.session() as session:
        assert not stuck_reasons.current(session)
        assert stuck_reasons.pending(session) == 1
    agree(db)


def test_a_bulk_write_of_new_instances_marks_each_of_them(db, clock) -> None:
    """The intake writes new instances through the engine's insert buffer (one statement per
    table for many instances): the triggers mark every new instance, once, and go on marking
    after the bulk write in the same transaction; the tick builds their facts."""
    from app.engine.statements import deferred_inserts
    from tests.support.engine import SIMPLE, deploy_paths

    deploy_paths(db, SIMPLE)
    with db.transaction() as session:
        session.execute(delete(StuckMark))
        with deferred_inserts(session):
            new = [
                service.start_instance(
                    session, "test_simple", business_key=f"B{i}", data={"bedrag": i}, actor="t"
                ).id
                for i in range(5)
            ]
        # In the same transaction after the bulk write: the triggers mark again.
        later = service.start_instance(
            session, "test_simple", business_key="NA", data={"bedrag": 1}, actor="t"
        ).id
    with db.session() as session:
        marks = session.scalars(select(StuckMark.instance_id)).all()
    assert sorted(marks) == sorted([*new, later])  # each once, not once per row written
    tick(db)
    with db.session() as session:
        assert session.scalars(select(StuckMark.instance_id)).all() == []
        built = set(session.scalars(select(StuckFact.instance_id)))
    assert built <= {*new, later}


def test_a_batch_marks_its_own_instances_and_no_other(db, clock) -> None:
    """A batch (the worker's timers) marks its instances in one statement before writing and
    names them for the triggers, which then skip their rows (PostgreSQL). Every fired
    instance is marked; a row of any instance not named still marks it, in the same
    transaction, after a savepoint with a batch was rolled back, and after a refresh in the
    same transaction took the batch's marks."""
    from sqlalchemy import text, update

    from app.engine.models import Timer
    from app.engine.timers import fire_due_timers
    from tests.support.engine import FIXTURES, deploy_paths, start

    deploy_paths(db, FIXTURES / "timer.bpmn")

    def waiting(key: str, hours: int) -> str:
        moment = (clock.now() + timedelta(hours=hours)).isoformat()
        return start(db, "test_timer", key, {"wanneer": moment})

    due = [waiting(f"D{i}", 1) for i in range(6)]
    a, b, c, other = (waiting(key, 5) for key in "ABCX")

    def marks() -> list[str]:
        with db.session() as session:
            return sorted(session.scalars(select(StuckMark.instance_id)))

    def touch(session, instance_id: str) -> None:  # a watched column of a wait row
        session.execute(
            update(Timer)
            .where(Timer.instance_id == instance_id)
            .values(due_at=clock.now() + timedelta(hours=6))
        )

    tick(db)
    assert marks() == []
    clock.advance(timedelta(hours=2))
    assert fire_due_timers(db, 10) == 6
    assert marks() == sorted(due)
    tick(db)
    with db.transaction() as session:
        connection = session.connection()
        stuck_reasons.mark_batch(connection, [a])
        touch(session, other)  # not in the batch: its trigger marks it
        touch(session, a)
        with session.begin_nested() as savepoint:
            stuck_reasons.mark_batch(connection, [b])
            savepoint.rollback()
        touch(session, b)  # the batch that named b was rolled back: b marks itself
        seen = session.scalars(select(StuckMark.instance_id)).all()
        assert sorted(seen) == sorted([a, b, other])  # each once
        stuck_reasons.mark_batch(connection, [c])
        stuck_reasons.refresh_in(session)  # builds c's facts, deletes its mark
        touch(session, c)  # so this write must mark c again
        stuck_reasons.mark_batch(connection, ["x,y"])  # never a list with its separator
        if db.engine.dialect.name == "postgresql":
            named = session.scalar(text("SELECT current_setting('stroom.stuck_batch', true)"))
            assert named == ""
    assert marks() == sorted([c])  # the refresh took a, b and other with it
    agree(db, full=False)

"""The stuck list's statements are built once per key and run with the moments of each list
(app/manage/stuck.py, `_prepared`): a list from kept statements equals one built afresh while
the clock jumps both ways past limits and due dates and a municipality changes a limit; a
statement with a fixed moment in it is refused when it is built."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from app.engine.models import HumanTask
from app.manage import stuck
from app.manage.scope import Scope
from tests.manage.support import NOW, THURSDAY, Scenario, row_values, scopes, set_limits


def lists(db, scope: Scope) -> tuple[Any, ...]:
    with db.session() as session:
        rows = [row_values(r) for r in stuck.all_rows(session, scope)]
        counts = stuck.counts(session, scope)
        page = [row_values(r) for r in stuck.stuck_list(session, scope, size=3, page=2).rows]
    return rows, counts, page


def kept_and_fresh(db) -> list[tuple[Any, ...]]:
    """Every scope's list from the kept statements, checked against a fresh build (which
    then stays kept); returns the lists."""
    kept = [lists(db, scope) for scope in scopes(db)]
    stuck._STATEMENTS.clear()
    assert kept == [lists(db, scope) for scope in scopes(db)]
    return kept


def test_kept_statements_give_the_list_of_every_moment(db, scenario: Scenario) -> None:
    clock = scenario.clock
    stuck._STATEMENTS.clear()
    seen = [kept_and_fresh(db)]
    built = len(stuck._STATEMENTS)
    for moment in (
        NOW + timedelta(days=2, hours=15),  # RISICO's due date has passed
        NOW + timedelta(days=21),  # every limit long passed
        THURSDAY,  # back: before most of them
        NOW,
    ):
        clock.set(moment)
        seen.append(kept_and_fresh(db))
        assert len(stuck._STATEMENTS) == built  # the same statements, other moments
    assert len({repr(s) for s in seen}) >= 3  # the moments do change the list
    assert seen[0] == seen[-1]

    # A municipality's own limit is part of the key: the next list is built with it.
    set_limits(
        db,
        ("weert", "max_wachttijd_werkdagen_nabellen", 1),
        ("weert", "risico_werkdagen", 6),
    )
    changed = kept_and_fresh(db)
    assert changed != seen[-1]


def test_a_fixed_moment_in_a_statement_is_refused(
    db, scenario: Scenario, monkeypatch: pytest.MonkeyPatch
) -> None:
    original = stuck._Queries.te_laat

    def fixed(self: Any) -> Any:
        return original(self).where(HumanTask.due_at < scenario.clock.now())

    monkeypatch.setattr(stuck._Queries, "te_laat", fixed)
    stuck._STATEMENTS.clear()
    with db.session() as session, pytest.raises(RuntimeError, match="vast tijdstip"):
        stuck.all_rows(session, Scope(None), use_facts=False)
    assert [key[-1] for key in stuck._STATEMENTS] == ["storing", "timer"]  # not te-laat's

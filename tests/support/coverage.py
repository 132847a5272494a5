"""Diagram coverage across scenario tests: every flow node and sequence flow of a process
must be taken by some scenario (the suite fails below 100%; see tests/conftest.py).

A scenario test calls `record(db, "haarlem_preventie")` at its end; the instances in the
database then count towards that process's coverage for this test run.
"""

from __future__ import annotations

from collections import defaultdict

from sqlalchemy import select

from app.db import Database
from app.engine.models import ProcessInstance, ProcessVersion
from app.simulation.coverage import Coverage, process_coverage, uncovered

TAKEN: dict[str, Coverage] = defaultdict(Coverage)
ELEMENTS: dict[str, dict] = {}


def record(db: Database, process: str) -> None:
    with db.session() as session:
        rows = session.scalars(
            select(ProcessInstance).where(ProcessInstance.definition_key == process)
        ).all()
        if not rows:
            return
        TAKEN[process].add(process_coverage(session, rows))
        version = session.get(ProcessVersion, rows[-1].version_id)
        ELEMENTS[process] = version.elements


def report() -> dict[str, tuple[list[str], list[str], int, int]]:
    """process -> (missing nodes, missing flows, taken, total)."""
    result = {}
    for process, elements in ELEMENTS.items():
        nodes, flows = uncovered(elements, TAKEN[process])
        total = len([e for e in elements.values() if e["type"] != "participant"])
        result[process] = (nodes, flows, total - len(nodes) - len(flows), total)
    return result

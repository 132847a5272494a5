"""Diagram and data coverage across scenario tests (the suite fails below 100% of either;
see tests/conftest.py).

Diagram coverage: every flow node and sequence flow of a process taken by some scenario.
Data coverage: every optional field of the process's signal and forms left out by some
scenario on a path that reads it (app/simulation/coverage.py says how that is judged); a
field no element reads is safe by the deploy analysis and counts as covered.

A scenario test calls `record(db, "haarlem_preventie")` at its end; the instances in the
database then count towards that process's coverage for this test run.
"""

from __future__ import annotations

from collections import defaultdict

from sqlalchemy import select

from app.catalogue.parser import from_json
from app.db import Database
from app.engine.models import ProcessInstance, ProcessVersion
from app.engine.runtime import load_workflow
from app.simulation.coverage import (
    Coverage,
    field_readers,
    left_out,
    no_value,
    optional_fields,
    process_coverage,
    proven_safe,
    uncovered,
)

TAKEN: dict[str, Coverage] = defaultdict(Coverage)
ELEMENTS: dict[str, dict] = {}
# Data coverage: the optional fields of each process (field -> where), and those left out.
OPTIONAL: dict[str, dict[str, list[str]]] = {}
LEFT_OUT: dict[str, set[str]] = defaultdict(set)
FORMS: dict[str, dict] = {}


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
        catalogue = from_json(version.catalogue) if version.catalogue else None
        OPTIONAL[process] = optional_fields(catalogue, version.forms)
        FORMS[process] = version.forms
        fields = no_value(catalogue, version.forms, OPTIONAL[process])
        for row in rows:
            elements = session.get(ProcessVersion, row.version_id).elements
            workflow = load_workflow(session, row.version_id, row.state)
            LEFT_OUT[process] |= left_out(workflow, elements, fields)


def report() -> dict[str, tuple[list[str], list[str], int, int]]:
    """process -> (missing nodes, missing flows, taken, total)."""
    result = {}
    for process, elements in ELEMENTS.items():
        nodes, flows = uncovered(elements, TAKEN[process])
        total = len([e for e in elements.values() if e["type"] != "participant"])
        result[process] = (nodes, flows, total - len(nodes) - len(flows), total)
    return result


def data_report() -> dict[str, tuple[list[str], int, int, int]]:
    """process -> (optional fields read but never left out, covered, proven safe, total)."""
    result = {}
    for process, optional in OPTIONAL.items():
        elements = ELEMENTS[process]
        readers = field_readers(elements)
        read = {
            name
            for name, where in optional.items()
            if name in readers
            and not proven_safe(elements, FORMS[process], name, "melding" in where)
        }
        missing = sorted(read - LEFT_OUT[process])
        safe = len(set(optional) - read)
        result[process] = (missing, len(optional) - len(missing), safe, len(optional))
    return result


def export() -> dict:
    """This process's raw coverage, as plain data an xdist worker sends to the controller."""
    return {
        "taken": {
            p: [sorted(c.elements), sorted(c.flows)] for p, c in TAKEN.items() if p in ELEMENTS
        },
        "elements": ELEMENTS,
        "optional": OPTIONAL,
        "left_out": {p: sorted(v) for p, v in LEFT_OUT.items()},
        "forms": FORMS,
    }


def merge(data: dict) -> None:
    """A worker's coverage added to this process's: a process whose scenario modules ran on
    several workers is judged on all of them together."""
    for process, (elements, flows) in data.get("taken", {}).items():
        TAKEN[process].add(Coverage(set(elements), set(flows)))
    ELEMENTS.update(data.get("elements", {}))
    OPTIONAL.update(data.get("optional", {}))
    FORMS.update(data.get("forms", {}))
    for process, fields in data.get("left_out", {}).items():
        LEFT_OUT[process] |= set(fields)

"""Camunda's own published test diagrams (tests/conformance/README.md), deployed unchanged
with a draft data catalogue, each with the outcome Camunda 7 produces (the user tasks open
after each step, the end state, variables) or the refusal expected. `cases.yaml` holds the
expectations; a diagram that deploys but should have been refused, or runs differently,
fails here."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import yaml

from app.engine import service
from app.engine.deploy import parse_files
from app.engine.errors import DeploymentError
from app.engine.timers import drain_timers
from tests.support.camunda import write_diagram
from tests.support.engine import FIXTURES, deploy_paths, instance, open_tasks, start

HERE = Path(__file__).resolve().parent
CASES: list[dict[str, Any]] = yaml.safe_load((HERE / "cases.yaml").read_text())
RUNS = [c for c in CASES if "refused" not in c]
REFUSED = [c for c in CASES if "refused" in c]


def _copy(case: dict[str, Any], directory: Path, others: Sequence[Path] = ()) -> Path:
    source = HERE / "diagrams" / case["file"]
    name = case["file"].removesuffix(".bpmn").replace(".", "_")
    data = case.get("start") or {}
    fields = {**data, **(case.get("fields") or {})}
    path = write_diagram(directory, name, source.read_bytes(), fields, sorted(data), others)
    assert path.read_bytes() == source.read_bytes()  # unchanged
    return path


def test_the_collection_is_what_the_readme_says() -> None:
    files = sorted(p.name for p in (HERE / "diagrams").glob("*.bpmn"))
    assert files == sorted(c["file"] for c in CASES)
    for case in CASES:
        assert set(case.get("with") or []) <= set(files), case["file"]
    readme = (HERE / "README.md").read_text()
    for case in CASES:
        assert case["source"] in readme, case["file"]


@pytest.mark.parametrize("case", REFUSED, ids=[c["file"] for c in REFUSED])
def test_refused_with_a_reason(case: dict[str, Any], tmp_path: Path) -> None:
    path = _copy(case, tmp_path)
    with pytest.raises(DeploymentError) as caught:
        parse_files([path], FIXTURES)
    expected = case["refused"]
    problems = caught.value.problems
    assert any(
        p.element == expected["element"] and expected["message"] in p.message and p.line
        for p in problems
    ), [str(p) for p in problems]


@pytest.mark.parametrize("case", RUNS, ids=[c["file"] for c in RUNS])
def test_runs_as_camunda_runs_it(case: dict[str, Any], db, clock, tmp_path: Path) -> None:
    clock.set(datetime(2026, 3, 2, 8, 0, tzinfo=UTC))
    others = [_copy({"file": name}, tmp_path) for name in case.get("with") or []]
    path = _copy(case, tmp_path, others)
    deploy_paths(db, path, *others)  # processes calling each other across files
    instance_id = start(db, case["process"], "C-1", case.get("start") or {})
    for step in case.get("steps") or []:
        if "open" in step:
            opened = sorted(t.element_id for t in open_tasks(db, instance_id))
            assert opened == sorted(step["open"]), step
        if "complete" in step:
            task = next(t for t in open_tasks(db, instance_id) if t.element_id == step["complete"])
            with db.transaction() as session:
                service.complete_task(session, task.id, step.get("data") or {}, "tester")
        if "message" in step:
            with db.transaction() as session:
                service.deliver_message(session, step["message"], "C-1", step.get("data") or {})
        if "advance" in step:
            clock.advance(timedelta(**step["advance"]))
            drain_timers(db, 50)
        if "task" in step:  # properties of an open task
            wanted = step["task"]
            [task] = [t for t in open_tasks(db, instance_id) if t.element_id == wanted["id"]]
            for key, value in wanted.items():
                if key != "id":
                    assert getattr(task, key) == value, (key, getattr(task, key))
    row = instance(db, instance_id)
    assert row.status == case.get("end", "completed"), row.status
    if case.get("end", "completed") == "completed":
        assert open_tasks(db, instance_id) == []
    for name, value in (case.get("variables") or {}).items():
        assert row.data.get(name) == value, (name, row.data.get(name))


def test_counts() -> None:
    """What the README states."""
    assert len(CASES) >= 60
    readme = (HERE / "README.md").read_text()
    assert f"{len(CASES)} diagrams" in readme
    assert f"{len(RUNS)} run" in readme and f"{len(REFUSED)} are refused" in readme

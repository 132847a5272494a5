"""The conformance suite (tests/conformance/README.md): diagrams written for Stroom in the
Camunda Modeler's form (Camunda 7), each with the outcome Camunda 7 produces by its
documented semantics, or the refusal expected. `cases.yaml` holds the expectations; every
diagram deploys unchanged with the catalogue `stroom catalogue init` drafts, completed as in
tests/support/camunda.py. A diagram that deploys but should have been refused, or runs
differently, fails here."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import yaml
from lxml import etree
from SpiffWorkflow.util.task import TaskState
from sqlalchemy import func, select

from app.db import Database
from app.engine import service
from app.engine.deploy import parse_files
from app.engine.errors import DeploymentError
from app.engine.jobs import run_due_jobs
from app.engine.models import ProcessInstance
from app.engine.multi_instance import is_body
from app.engine.runtime import load_workflow
from app.engine.signals import Broadcast, broadcast
from app.engine.timers import drain_timers
from tests.support.camunda import teams_for, write_diagram
from tests.support.engine import FIXTURES, deploy_paths, instance, open_tasks, start

HERE = Path(__file__).resolve().parent
DIAGRAMS = HERE / "diagrams"
CASES: list[dict[str, Any]] = yaml.safe_load((HERE / "cases.yaml").read_text())
RUNS = [c for c in CASES if "refused" not in c["expected"]]
REFUSED = [c for c in CASES if "refused" in c["expected"]]
NS = {
    "bpmn": "http://www.omg.org/spec/BPMN/20100524/MODEL",
    "bpmndi": "http://www.omg.org/spec/BPMN/20100524/DI",
}
NOT_DRAWN = {
    "sequenceFlow",
    "laneSet",
    "lane",
    "incoming",
    "outgoing",
    "flowNodeRef",
    "dataObject",
}


def _write(case: dict[str, Any], directory: Path, name: str | None = None) -> Path:
    """The diagram, unchanged, with its completed draft catalogue beside it."""
    file = name or case["file"]
    source = DIAGRAMS / file
    others = [] if name else [_write(case, directory, o) for o in case.get("with") or []]
    data = case.get("start") or {}
    fields = {**data, **(case.get("fields") or {})}
    # Every start brings these (and a called process gets them all from its caller); a
    # variable started as null or "" is optional (Stroom refuses a required field without a
    # value).
    required = sorted(k for k, v in data.items() if v not in (None, ""))
    if name and name in (case.get("with_start") or {}):
        # A process called with camunda:in mappings starts with their targets only.
        required = case["with_start"][name]
    defaults = case.get("defaults") or {}
    path = write_diagram(
        directory,
        file.removesuffix(".bpmn"),
        source.read_bytes(),
        {**fields, **{k: v if v not in (None, "") else "x" for k, v in defaults.items()}},
        required,
        others,
        defaults,
    )
    assert path.read_bytes() == source.read_bytes()  # unchanged
    return path


def _completed(db, instance_id: str, known: set[str]) -> list[str]:
    """The diagram's elements that completed, as Camunda's history lists finished activity
    instances (cancelled ones are not in it)."""
    row = instance(db, instance_id)
    with db.session() as session:
        workflow = load_workflow(session, row.version_id, row.state)
    # By id: the top workflow's tasks include those of its sub-processes.
    found = {
        task.id: task
        for wf in (workflow, *workflow.subprocesses.values())
        for task in wf.get_tasks(state=TaskState.COMPLETED)
        if getattr(task.task_spec, "bpmn_id", None) in known
        # Camunda's history names a multi-instance body `<id>#multiInstanceBody`: the
        # element's own entries are its instances.
        and not is_body(task.task_spec)
    }
    tasks = list(found.values())
    tasks.sort(key=lambda task: task.last_state_change)  # stable: tree order within a step
    return [task.task_spec.bpmn_id for task in tasks]


def _ids(path: Path) -> set[str]:
    """The diagram's element ids whose completion the path records. Left out: event-based
    gateways (Stroom runs one as a wait state that the winning event interrupts) and
    sub-processes (SpiffWorkflow marks one left through an error boundary completed): the
    elements inside and after them show the path."""
    root = etree.parse(str(path)).getroot()
    return {
        el.get("id")
        for el in root.iter()
        if isinstance(el.tag, str)
        and el.get("id")
        and etree.QName(el).localname not in ("eventBasedGateway", "subProcess")
    }


def test_the_manifest_covers_every_diagram_and_the_readme_lists_them() -> None:
    files = sorted(p.name for p in DIAGRAMS.glob("*.bpmn"))
    named = sorted({c["file"] for c in CASES} | {o for c in CASES for o in c.get("with") or []})
    assert files == named
    readme = (HERE / "README.md").read_text()
    for case in CASES:
        row = f"| `{case['file']}` |"
        assert row in readme, case["file"]
        assert ("refused" in case["expected"]) == ("refused" in readme.split(row)[1].split("\n")[0])
    assert len(CASES) >= 60 and len(RUNS) >= 40
    assert f"{len(CASES)} diagrams" in readme and f"{len(RUNS)} run" in readme
    assert f"{len(REFUSED)} are refused" in readme


@pytest.mark.parametrize("file", sorted(p.name for p in DIAGRAMS.glob("*.bpmn")))
def test_each_diagram_opens_in_a_modeller(file: str) -> None:
    """Camunda 7 dialect and diagram interchange: every flow element is drawn, every flow
    with an id has an edge."""
    root = etree.parse(str(DIAGRAMS / file)).getroot()
    assert (
        root.get("{http://camunda.org/schema/modeler/1.0}executionPlatform") == "Camunda Platform"
    )
    drawn = {e.get("bpmnElement") for e in root.iterfind(".//bpmndi:BPMNPlane/*", NS)}
    [process, *_] = root.iterfind("bpmn:process", NS)
    for el in process.iter():
        if not isinstance(el.tag, str) or etree.QName(el).namespace != NS["bpmn"]:
            continue
        kind = etree.QName(el).localname
        parent = el.getparent()
        if (
            el.get("id")
            and parent is not None
            and etree.QName(parent).localname
            in (
                "process",
                "subProcess",
                "transaction",
            )
        ):
            if kind not in NOT_DRAWN or (kind == "sequenceFlow" and el.get("id")):
                assert el.get("id") in drawn, (file, el.get("id"))


@pytest.mark.parametrize("case", REFUSED, ids=[c["file"] for c in REFUSED])
def test_refused_with_element_line_and_reason(case: dict[str, Any], tmp_path: Path) -> None:
    path = _write(case, tmp_path)
    with pytest.raises(DeploymentError) as caught:
        parse_files([path, *(tmp_path / o for o in case.get("with") or [])], FIXTURES)
    expected = case["expected"]["refused"]
    problems = caught.value.problems
    assert any(
        p.element == expected["element"] and expected["message"] in p.message and p.line
        for p in problems
    ), [str(p) for p in problems]


def _with_known_difference(case: dict[str, Any]) -> Any:
    """A case where Stroom differs from Camunda 7 in a documented way keeps Camunda's
    expectation and fails until the difference is gone (strict: a pass is reported)."""
    if "known_difference" not in case:
        return case
    return pytest.param(case, marks=pytest.mark.xfail(strict=True, reason=case["known_difference"]))


def _signal(db: Database, name: str, data: dict[str, Any] | None) -> Broadcast:
    """Broadcast as `POST /api/v1/bpmn-signals` and `stroom signal send` do."""
    with db.transaction() as session:
        return broadcast(session, name, data or {}, "tester")


def _check(db: Database, instance_id: str, expected: dict[str, Any], known: set[str]) -> None:
    """One instance's end: status, open tasks, the path and the variables."""
    row = instance(db, instance_id)
    assert row.status == expected["state"], row.status
    opened = sorted(t.element_id for t in open_tasks(db, instance_id))
    assert opened == sorted(expected.get("open") or []), opened
    done = _completed(db, instance_id, known)
    if "completed" in expected:
        assert set(done) == set(expected["completed"]), sorted(set(done))
    for name, times in (expected.get("times") or {}).items():
        assert Counter(done)[name] == times, (name, Counter(done)[name])
    if "order" in expected:
        positions = [done.index(name) for name in expected["order"]]
        assert positions == sorted(positions), positions
    for name, value in (expected.get("variables") or {}).items():
        assert row.data.get(name) == value, (name, row.data.get(name))


def _counts(db: Database, process: str) -> dict[str, int]:
    """How many instances of a process there are, by status."""
    with db.session() as session:
        return dict(
            session.execute(
                select(ProcessInstance.status, func.count())
                .where(ProcessInstance.definition_key == process)
                .group_by(ProcessInstance.status)
            ).all()
        )


@pytest.mark.parametrize(
    "case", [_with_known_difference(c) for c in RUNS], ids=[c["file"] for c in RUNS]
)
def test_runs_as_camunda_7_runs_it(
    case: dict[str, Any], db, clock, settings, tmp_path: Path
) -> None:
    clock.set(datetime(2026, 3, 2, 8, 0, tzinfo=UTC))  # Monday 09:00 in Amsterdam
    path = _write(case, tmp_path)
    others = [tmp_path / o for o in case.get("with") or []]
    teams_for(db, path, *others)  # the candidate groups are teams, as in a real installation
    deploy_paths(db, path, *others)
    # Instances waiting before the case's own starts (by business key), e.g. for its signal.
    started = {
        b["key"]: start(db, b["process"], b["key"], b.get("data") or {})
        for b in case.get("before") or []
    }
    key = "C-1"
    if "start_by_signal" in case:
        # The instance is the one the broadcast starts at the process's signal start event.
        result = _signal(db, case["start_by_signal"], case.get("start"))
        [instance_id] = [
            i for i in result.started if instance(db, i).definition_key == case["process"]
        ]
    else:
        instance_id = start(db, case["process"], key, case.get("start") or {})
    for step in case.get("steps") or []:
        clock.advance(timedelta(seconds=1))  # steps apart in time, as the path's order needs
        if "open" in step:
            opened = sorted(t.element_id for t in open_tasks(db, instance_id))
            assert opened == sorted(step["open"]), step
        if "task" in step:
            wanted = dict(step["task"])
            [task] = [t for t in open_tasks(db, instance_id) if t.element_id == wanted.pop("id")]
            for name, value in wanted.items():
                actual = getattr(task, name)
                if isinstance(actual, datetime):
                    actual = actual.astimezone(UTC).isoformat()
                assert actual == value, (name, actual)
        if "complete" in step:
            task = min(
                (t for t in open_tasks(db, instance_id) if t.element_id == step["complete"]),
                key=lambda t: t.created_at,
            )
            with db.transaction() as session:
                service.complete_task(session, task.id, step.get("data") or {}, "tester")
        if "message" in step:
            with db.transaction() as session:
                service.deliver_message(session, step["message"], key, step.get("data") or {})
        if "signal" in step:
            result = _signal(db, step["signal"], step.get("data"))
            for name in ("received", "started"):
                if name in step:
                    assert len(getattr(result, name)) == step[name], (name, result)
        if "advance" in step:
            clock.advance(timedelta(**step["advance"]))
            drain_timers(db, 50)
        if "jobs" in step:
            run_due_jobs(db, settings, "conformance")
    expected = case["expected"]
    known = _ids(path) | {i for o in others for i in _ids(o)}
    _check(db, instance_id, expected, known)
    for other, wanted in (expected.get("others") or {}).items():
        _check(db, started[other], wanted, known)
    for process, counts in (expected.get("instances") or {}).items():
        assert _counts(db, process) == counts, (process, _counts(db, process))

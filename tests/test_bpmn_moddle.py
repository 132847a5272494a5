"""Every diagram loads in bpmn-moddle (the library behind bpmn-js and the Camunda Modeler,
with the Camunda 7 descriptor) without a single warning."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
DIAGRAMS = sorted(
    [
        *ROOT.glob("bpmn/*.bpmn"),
        *ROOT.glob("tests/fixtures/*.bpmn"),
        *ROOT.glob("tests/conformance/diagrams/*.bpmn"),
        *ROOT.glob("bench/*.bpmn"),
    ]
)


def test_bpmn_moddle_reads_every_diagram_without_warnings() -> None:
    node = shutil.which("node")
    if node is None or not (ROOT / "node_modules" / "bpmn-moddle").exists():
        pytest.fail("node and the npm packages are needed (scripts/setup installs them)")
    result = subprocess.run(
        [node, "scripts/check-bpmn.mjs", *map(str, DIAGRAMS)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    warnings = {f: w for f, w in json.loads(result.stdout).items() if w}
    assert len(json.loads(result.stdout)) == len(DIAGRAMS)
    assert warnings == {}

"""Runs a hostile expression or script in a child process with a memory cap and a timeout, so
that a guard that fails shows up as a failed test, never as a hung test run or a machine that
swaps: `python -m tests.security.sandbox_support` reads the request on stdin."""

from __future__ import annotations

import json
import resource
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
TIMEOUT = 30  # seconds; the budget ends every evaluation after about 1 s of CPU time
MEMORY_CAP = 2 * 1024**3  # the child's address space: an explosion is a MemoryError there


@dataclass
class Outcome:
    error: str | None  # the exception's type, None when the evaluation succeeded
    message: str
    cpu: float  # CPU seconds the evaluation took
    grown: int  # MB the child's peak memory grew during the evaluation


def run_sandboxed(source: str, mode: str = "exec", registered: bool = False) -> Outcome:
    """Evaluate `source` in a fresh process; `registered` exposes `rekenen()`, a registered
    function that loops in Python, out of reach of the compiler's checks."""
    # Here, not at the top: the child imports this module too, and pytest is half of its
    # start-up (about 60 ms of CPU, once for each of some forty hostile scripts).
    import pytest

    request = json.dumps({"source": source, "mode": mode, "registered": registered})
    try:
        proc = subprocess.run(
            [sys.executable, "-m", "tests.security.sandbox_support"],
            input=request,
            capture_output=True,
            text=True,
            timeout=TIMEOUT,
            cwd=ROOT,
        )
    except subprocess.TimeoutExpired:
        pytest.fail(f"still running after {TIMEOUT} s: {source!r}")
    lines = proc.stdout.strip().splitlines()
    if proc.returncode != 0 or not lines:
        pytest.fail(f"the process died (exit {proc.returncode}): {proc.stderr[-2000:]}")
    return Outcome(**json.loads(lines[-1]))


def _rekenen() -> int:
    n = 0
    while n >= 0:
        n += 1
    return n


def _child() -> None:
    request = json.loads(sys.stdin.read())
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY_CAP, MEMORY_CAP))
    from app.engine.sandbox import SandboxEnvironment

    env = SandboxEnvironment({"rekenen": _rekenen} if request["registered"] else {})
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    started = time.thread_time()
    error, message = None, ""
    try:
        if request["mode"] == "exec":
            env.execute(request["source"], {})
        else:
            env.evaluate(request["source"], {})
    except BaseException as exc:  # noqa: BLE001 - reported to the test
        error, message = type(exc).__name__, str(exc)[:1000]
    cpu = time.thread_time() - started
    grown = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - peak) // 1024
    print(json.dumps({"error": error, "message": message, "cpu": cpu, "grown": grown}))


if __name__ == "__main__":
    _child()

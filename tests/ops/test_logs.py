"""What `stroom serve` writes while it runs (issue 24): one line to start and one to stop, a
line per batch of timers or jobs that did something, slow requests; none of the scheduler's
routine lines ("Running job", "executed successfully") that came every tick. JSON on request."""

from __future__ import annotations

import json
import logging
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from app.config import Settings
from app.log_config import JsonFormatter, configure
from app.migrate import upgrade
from tests.conftest import ROOT

ROUTINE = ("Running job", "executed successfully", "Adding job tentatively", "Scheduler started")


def _serve(tmp_path: Path, seconds: float = 4, **env: str) -> str:
    """Run `stroom serve` with a fast tick for `seconds`; everything it wrote."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    environment = dict(
        os.environ,
        STROOM_DATABASE_URL=f"sqlite:///{tmp_path / 'stroom.db'}",
        STROOM_TICK_SECONDS="0.2",
        PYTHONPATH=str(ROOT),
        **env,
    )
    upgrade(environment["STROOM_DATABASE_URL"])  # here: a process of its own costs a start-up
    proc = subprocess.Popen(
        [sys.executable, "-m", "app", "serve", "--port", str(port)],
        env=environment,
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    lines: list[str] = []

    def read() -> None:
        assert proc.stdout is not None
        for line in proc.stdout:
            lines.append(line)

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    deadline = time.monotonic() + 120  # starting can take a while on a busy machine
    while not any("gestart" in line for line in lines) and time.monotonic() < deadline:
        if proc.poll() is not None:
            break
        time.sleep(0.2)
    time.sleep(seconds)  # at 4 s: twenty ticks of each interval job
    proc.send_signal(signal.SIGTERM)
    proc.wait(timeout=60)
    reader.join(timeout=10)
    return "".join(lines)


@pytest.mark.slow
def test_a_running_server_prints_no_routine_scheduler_lines(tmp_path: Path) -> None:
    output = _serve(tmp_path)
    assert "stroom serve gestart op" in output and "stroom serve gestopt" in output
    assert not [line for line in output.splitlines() if any(r in line for r in ROUTINE)]
    assert len(output.splitlines()) < 10, output


@pytest.mark.slow
def test_json_logs_are_one_object_per_line(tmp_path: Path) -> None:
    # The lines it writes, not the ticks (the routine ones are the other test's), are what
    # this test reads: start and stop.
    output = _serve(tmp_path, seconds=1, STROOM_LOG_FORMAT="json")
    entries = [json.loads(line) for line in output.splitlines() if line.startswith("{")]
    assert any(e["message"].startswith("stroom serve gestart") for e in entries)
    assert {"time", "level", "logger", "message"} <= set(entries[0])


def test_debug_shows_the_routine_lines_again_and_bad_settings_are_refused() -> None:
    try:
        configure(Settings(log_level="DEBUG"))
        assert logging.getLogger("apscheduler").getEffectiveLevel() == logging.DEBUG
        configure(Settings())
        assert logging.getLogger("apscheduler").getEffectiveLevel() == logging.WARNING
        with pytest.raises(ValueError, match="STROOM_LOG_FORMAT"):
            configure(Settings(log_format="xml"))
        with pytest.raises(ValueError, match="STROOM_LOG_LEVEL"):
            configure(Settings(log_level="luid"))
    finally:
        logging.getLogger().handlers.clear()


def test_a_batch_line_carries_its_count_as_data() -> None:
    record = logging.LogRecord("app.engine.worker", logging.INFO, "", 0, "timers 3", (), None)
    record.tick, record.count = "timers", 3
    entry = json.loads(JsonFormatter().format(record))
    assert entry["tick"] == "timers" and entry["count"] == 3 and entry["level"] == "INFO"


def test_a_slow_request_is_one_warning_line(app, client, caplog) -> None:  # type: ignore[no-untyped-def]
    from app.guards import register_request_log

    register_request_log(app, 0)  # every request is "slow"
    with caplog.at_level(logging.WARNING, logger="app.requests"):
        client.get("/healthz")
    [line] = [r.getMessage() for r in caplog.records if r.name == "app.requests"]
    assert line.startswith("traag verzoek: GET /healthz 200 in ") and line.endswith(" ms")


def test_spiffworkflow_logs_no_task_state_changes_and_walks_no_tree_for_its_records() -> None:
    """A worker logged every task's state change at INFO, and SpiffWorkflow below INFO put a
    walk of the whole tree into each record's extras (bench/README.md, issue 23)."""
    from SpiffWorkflow.bpmn import BpmnWorkflow

    from app.engine.parser import StroomParser
    from tests.support.engine import FIXTURES

    parser = StroomParser()
    parser.add_bpmn_file(str(FIXTURES / "simple.bpmn"))
    workflow = BpmnWorkflow(parser.get_spec("test_simple"))
    try:
        configure(Settings())
        assert not logging.getLogger("spiff.task").isEnabledFor(logging.INFO)
        assert "tasks" not in workflow.collect_log_extras()
        configure(Settings(log_level="DEBUG"))
        assert logging.getLogger("spiff.task").isEnabledFor(logging.DEBUG)
        assert "tasks" in workflow.collect_log_extras()  # what debugging the engine wants
    finally:
        configure(Settings())
        logging.getLogger().handlers.clear()

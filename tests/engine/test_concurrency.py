"""Two people (or twenty) completing one task at once: exactly one wins."""

from __future__ import annotations

import threading
from collections import Counter

import httpx
import pytest
from sqlalchemy import func, select
from werkzeug.serving import make_server

from app.engine.jobs import run_due_jobs
from app.engine.models import InstanceEvent, MessageSubscription, Timer
from tests.support.engine import SIMPLE, deploy_paths, instance, open_tasks, start


@pytest.fixture
def live_server(app):
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()


def test_twenty_concurrent_completions_one_wins(db, clock, settings, live_server, auth) -> None:
    deploy_paths(db, SIMPLE)
    instance_id = start(db, business_key="RACE")
    run_due_jobs(db, settings, "w")
    [task] = open_tasks(db, instance_id)
    revision_before = instance(db, instance_id).revision

    barrier = threading.Barrier(20)
    statuses: list[int] = []
    lock = threading.Lock()

    def complete(n: int) -> None:
        with httpx.Client(base_url=live_server, headers=auth, timeout=30) as http:
            barrier.wait()
            response = http.post(
                f"/api/v1/tasks/{task.id}/complete", json={"data": {"akkoord": True}}
            )
        with lock:
            statuses.append(response.status_code)

    threads = [threading.Thread(target=complete, args=(n,)) for n in range(20)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()

    assert Counter(statuses) == Counter({200: 1, 409: 19})
    row = instance(db, instance_id)
    assert row.status == "waiting"
    assert row.revision == revision_before + 1
    with db.session() as session:
        completed = session.scalar(
            select(func.count())
            .select_from(InstanceEvent)
            .where(InstanceEvent.instance_id == instance_id, InstanceEvent.kind == "task_completed")
        )
        timers = session.scalar(select(func.count()).select_from(Timer))
        subs = session.scalar(select(func.count()).select_from(MessageSubscription))
    assert (completed, timers, subs) == (1, 1, 1)
    assert open_tasks(db, instance_id) == []

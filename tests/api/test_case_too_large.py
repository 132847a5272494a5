"""A person's task completion that would make the case's stored state too large: a 422 in
Dutch through the API, naming no figures of the case, and nothing stored changes."""

from __future__ import annotations

import pytest

from app.engine import state_limit
from app.engine.jobs import run_due_jobs
from tests.engine.test_state_limit import state_size, stored
from tests.support.engine import SIMPLE, deploy_paths
from tests.support.orgs import team_member


@pytest.fixture
def deployed(db, clock):
    deploy_paths(db, SIMPLE)
    return db


def test_the_api_answers_422_and_stores_nothing(client, auth, deployed, settings) -> None:
    team_member(deployed, "anna")
    created = client.post(
        "/api/v1/processes/test_simple/instances",
        headers=auth,
        json={"business_key": "Z-1", "data": {"bedrag": 5}},
    )
    instance_id = created.get_json()["id"]
    run_due_jobs(deployed, settings, "w")
    [task] = client.get("/api/v1/tasks?candidate_group=team", headers=auth).get_json()["items"]
    state_limit.configure(state_limit.StateLimits(state_size(deployed, instance_id) + 10, 10**6))
    try:
        before = stored(deployed)
        refused = client.post(
            f"/api/v1/tasks/{task['id']}/complete", headers=auth, json={"data": {"akkoord": True}}
        )
        assert refused.status_code == 422
        body = refused.get_json()
        assert body["code"] == "case_too_large"
        assert body["message"] == state_limit.MESSAGE
        assert stored(deployed) == before
    finally:
        state_limit.configure(None)
    done = client.post(
        f"/api/v1/tasks/{task['id']}/complete", headers=auth, json={"data": {"akkoord": True}}
    )
    assert done.status_code == 200 and done.get_json()["status"] == "waiting"

"""The task list's filters, releasing a task and the process listing, over HTTP."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import quote

import pytest

from app.engine.jobs import run_due_jobs
from tests.engine.test_dialect import CATALOGUE, DIAGRAM
from tests.support.engine import SIMPLE, deploy_paths
from tests.support.orgs import team_member


@pytest.fixture
def world(db, clock, settings, tmp_path: Path, client, auth):
    dialect = tmp_path / "test_dialect.bpmn"
    dialect.write_text(DIAGRAM)
    dialect.with_name("test_dialect.catalogus.yaml").write_text(CATALOGUE)
    deploy_paths(db, SIMPLE, dialect)
    for key in ("Z-1", "Z-2"):
        created = client.post(
            "/api/v1/processes/test_simple/instances",
            headers=auth,
            json={"business_key": key, "data": {"bedrag": 5}},
        )
        assert created.status_code == 201, created.get_json()
    created = client.post(
        "/api/v1/processes/test_dialect/instances",
        headers=auth,
        json={
            "business_key": "D-1",
            "data": {"minderjarigen": 1, "behandelaar": "anna", "dossier": "D-1"},
        },
    )
    assert created.status_code == 201, created.get_json()
    run_due_jobs(db, settings, "w")
    return db


def names(client, auth, query: str) -> list[str]:
    response = client.get(f"/api/v1/tasks?{query}", headers=auth)
    assert response.status_code == 200, response.get_json()
    return sorted(t["name"] for t in response.get_json()["items"])


def test_filters(world, client, auth) -> None:
    assert names(client, auth, "") == ["Beoordelen", "Beoordelen", "Intake"]
    assert names(client, auth, "process=test_dialect") == ["Intake"]
    assert names(client, auth, "process=test_simple") == ["Beoordelen", "Beoordelen"]
    assert names(client, auth, "candidate_group=sociaal-wijkteam") == ["Intake"]
    # Intake is due in 5 working days (Monday 9 March); Beoordelen on 1 January 2030.
    before = quote("2026-12-31T00:00:00+01:00")
    assert names(client, auth, f"due_before={before}") == ["Intake"]
    assert names(client, auth, "status=completed") == []
    bad = client.get("/api/v1/tasks?due_before=2026-12-31", headers=auth)
    assert bad.status_code == 422, bad.get_json()
    assert "due_before" in str(bad.get_json()["errors"])


def test_claim_filter_by_assignee_and_release(world, client, auth) -> None:
    team_member(world, "anna")  # a task goes only to an active member of its group
    task_id = client.get("/api/v1/tasks?process=test_simple", headers=auth).get_json()["items"][0][
        "id"
    ]
    claimed = client.post(f"/api/v1/tasks/{task_id}/claim", headers=auth, json={"user": "anna"})
    assert claimed.status_code == 200
    assert names(client, auth, "assignee=anna") == ["Beoordelen"]
    released = client.post(
        f"/api/v1/tasks/{task_id}/unclaim", headers=auth, json={"reason": "ziek"}
    )
    assert released.status_code == 200 and released.get_json()["assignee"] is None
    assert names(client, auth, "assignee=anna") == []
    unknown = client.post("/api/v1/tasks/bestaat-niet/unclaim", headers=auth, json={})
    assert unknown.status_code == 404 and unknown.get_json()["code"]


def test_processes_and_their_versions(world, client, auth) -> None:
    listing = client.get("/api/v1/processes", headers=auth).get_json()
    assert sorted(p["key"] for p in listing) == ["test_dialect", "test_simple"]
    simple = client.get("/api/v1/processes/test_simple", headers=auth).get_json()
    assert simple["latest_version"] == 1 and [v["version"] for v in simple["versions"]] == [1]
    diagram = client.get("/api/v1/processes/test_simple/versions/1/diagram", headers=auth)
    assert diagram.status_code == 200 and b"test_simple" in diagram.data
    missing = client.get("/api/v1/processes/bestaat_niet", headers=auth)
    assert missing.status_code == 404

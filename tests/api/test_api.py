"""The REST API: authentication, the happy paths, and JSON errors with field messages."""

from __future__ import annotations

import pytest
from openapi_spec_validator import validate

from app.engine.jobs import run_due_jobs
from tests.support.engine import SIMPLE, deploy_paths
from tests.support.orgs import team_member


@pytest.fixture
def deployed(db, clock):
    deploy_paths(db, SIMPLE)
    return db


def test_openapi_document_validates(client) -> None:
    spec = client.get("/api/v1/openapi.json").get_json()
    validate(spec)
    assert spec["components"]["securitySchemes"]["bearer"]["scheme"] == "bearer"


@pytest.mark.parametrize("path", ["/api/v1/processes", "/api/v1/instances", "/api/v1/tasks"])
def test_every_endpoint_needs_a_token(client, path) -> None:
    assert client.get(path).status_code == 401
    bad = client.get(path, headers={"Authorization": "Bearer stroom_nietgeldig"})
    assert bad.status_code == 401 and bad.get_json()["code"] == "unauthorized"


def test_revoked_token_and_missing_scope(client, db) -> None:
    from app.auth.tokens import create_token, revoke_token

    with db.transaction() as session:
        row, secret = create_token(session, "alleen-lezen", ["tasks:read"])
    headers = {"Authorization": f"Bearer {secret}"}
    assert client.get("/api/v1/tasks", headers=headers).status_code == 200
    assert client.get("/api/v1/instances", headers=headers).status_code == 403
    with db.transaction() as session:
        revoke_token(session, row.id)
    assert client.get("/api/v1/tasks", headers=headers).status_code == 401


def test_tokens_are_stored_only_as_hashes(db, api_token) -> None:
    from sqlalchemy import select

    from app.auth.models import ApiToken

    with db.session() as session:
        row = session.scalars(select(ApiToken)).one()
    assert api_token not in (row.token_hash, row.prefix) and len(row.token_hash) == 64


def test_start_list_show_complete_message(client, auth, deployed, settings) -> None:
    team_member(deployed, "anna")  # a task goes only to an active member of its group
    created = client.post(
        "/api/v1/processes/test_simple/instances",
        headers=auth,
        json={"business_key": "Z-1", "data": {"bedrag": 5}},
    )
    assert created.status_code == 201, created.get_json()
    instance_id = created.get_json()["id"]
    run_due_jobs(deployed, settings, "w")

    listing = client.get("/api/v1/instances?process=test_simple", headers=auth).get_json()
    assert [i["id"] for i in listing["items"]] == [instance_id]
    tasks = client.get("/api/v1/tasks?candidate_group=team", headers=auth).get_json()["items"]
    assert len(tasks) == 1 and tasks[0]["name"] == "Beoordelen"
    task_id = tasks[0]["id"]

    claim = client.post(f"/api/v1/tasks/{task_id}/claim", headers=auth, json={"user": "anna"})
    assert claim.status_code == 200 and claim.get_json()["assignee"] == "anna"
    done = client.post(
        f"/api/v1/tasks/{task_id}/complete", headers=auth, json={"data": {"akkoord": True}}
    )
    assert done.status_code == 200 and done.get_json()["status"] == "waiting"
    again = client.post(f"/api/v1/tasks/{task_id}/complete", headers=auth, json={"data": {}})
    assert again.status_code == 409 and again.get_json()["code"] == "conflict"

    detail = client.get(f"/api/v1/instances/{instance_id}", headers=auth).get_json()
    assert [t["element_id"] for t in detail["timers"]] == ["termijn"]
    assert detail["subscriptions"][0]["correlation_key"] == "Z-1"
    assert "task_completed" in [e["kind"] for e in detail["history"]]

    msg = client.post(
        "/api/v1/messages",
        headers=auth,
        json={"name": "betalingsregeling", "correlation_key": "Z-1"},
    )
    assert msg.status_code == 200 and msg.get_json()["status"] == "completed"
    none = client.post(
        "/api/v1/messages",
        headers=auth,
        json={"name": "betalingsregeling", "correlation_key": "Z-1"},
    )
    assert none.status_code == 404 and "wacht" in none.get_json()["message"]


def test_validation_errors_name_the_field(client, auth, deployed) -> None:
    bad = client.post(
        "/api/v1/processes/test_simple/instances",
        headers=auth,
        json={"business_key": "", "data": []},
    )
    assert bad.status_code == 422
    assert set(bad.get_json()["errors"]) == {"business_key", "data"}
    names = client.post(
        "/api/v1/processes/test_simple/instances", headers=auth, json={"data": {"_x": 1}}
    )
    assert names.status_code == 422 and "data._x" in names.get_json()["errors"]
    unknown = client.post("/api/v1/processes/bestaat_niet/instances", headers=auth, json={})
    assert unknown.status_code == 404
    reason = client.post("/api/v1/instances/x/cancel", headers=auth, json={})
    assert reason.status_code == 422 and "reason" in reason.get_json()["errors"]


def test_pagination_with_cursor(client, auth, deployed, clock) -> None:
    from datetime import timedelta

    for n in range(5):
        client.post(
            "/api/v1/processes/test_simple/instances",
            headers=auth,
            json={"business_key": f"P-{n}", "data": {"bedrag": n}},
        )
        clock.advance(timedelta(seconds=1))
    seen = []
    cursor = None
    while True:
        url = "/api/v1/instances?limit=2" + (f"&cursor={cursor}" if cursor else "")
        page = client.get(url, headers=auth).get_json()
        seen += [i["business_key"] for i in page["items"]]
        cursor = page["next_cursor"]
        if not cursor:
            break
    assert seen == [f"P-{n}" for n in reversed(range(5))]
    assert client.get("/api/v1/instances?cursor=kapot", headers=auth).status_code == 422

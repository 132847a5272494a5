"""The HTTP floor for bench/load.py: the least a token-authenticated list, completion and
start can cost on this machine, served by the same gunicorn configuration as Stroom.

    gunicorn -c deploy/gunicorn.conf.py --chdir bench floor_app:app

Each request checks its bearer token against `api_token` (one indexed read by the token's
digest, as Stroom's door does) and then does the least its Stroom counterpart must do:

    GET  /api/v1/tasks                  one indexed read of up to `limit` open rows, as JSON
    POST /api/v1/tasks/<id>/complete    a locked read and a write of the row, one commit
    POST /api/v1/processes/<key>/instances   an insert of two open rows, one commit

on a table of its own (`floor_task`) in the bench's scratch database. No engine, no ORM
objects, no rate limit, no log lines, no schemas: what is left is Flask, gunicorn, the
driver, the pool and PostgreSQL, which no Stroom request can go below.
"""

from __future__ import annotations

import hashlib
import os
import uuid
from typing import Any

from flask import Flask, abort, jsonify, request
from sqlalchemy import create_engine, text
from sqlalchemy.engine import Engine

TABLE = """CREATE TABLE IF NOT EXISTS floor_task (
    id text PRIMARY KEY, status text NOT NULL, created_at timestamptz NOT NULL DEFAULT now(),
    data jsonb)"""
INDEX = (
    "CREATE INDEX IF NOT EXISTS ix_floor_task_open ON floor_task (created_at) WHERE status = 'open'"
)

app = Flask(__name__)
_engines: list[Engine] = []


def _engine() -> Engine:
    """Pooled as Stroom's (app/db.py), made on first use in each web process."""
    if not _engines:
        url = os.environ["STROOM_DATABASE_URL"]
        _engines.append(create_engine(url, pool_size=10, max_overflow=20, pool_pre_ping=True))
    return _engines[0]


def _token(conn: Any) -> None:
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    digest = hashlib.sha256(token.strip().encode()).hexdigest()
    found = conn.execute(
        text(
            "SELECT id FROM api_token WHERE token_hash = :h AND revoked_at IS NULL "
            "AND (expires_at IS NULL OR expires_at > now())"
        ),
        {"h": digest},
    ).first()
    if scheme.lower() != "bearer" or found is None:
        abort(401)


@app.get("/api/v1/openapi.json")
def ready() -> Any:
    return {"ready": True}


@app.get("/api/v1/tasks")
def tasks() -> Any:
    limit = min(200, int(request.args.get("limit", 50)))
    with _engine().connect() as conn:
        _token(conn)
        rows = conn.execute(
            text(
                "SELECT id, status, created_at, data FROM floor_task WHERE status = 'open' "
                "ORDER BY created_at LIMIT :n"
            ),
            {"n": limit},
        ).all()
    items = [
        {"id": r.id, "status": r.status, "created_at": r.created_at.isoformat(), "data": r.data}
        for r in rows
    ]
    return jsonify({"items": items, "next_cursor": None})


@app.post("/api/v1/tasks/<task_id>/complete")
def complete(task_id: str) -> Any:
    with _engine().begin() as conn:
        _token(conn)
        status = conn.execute(
            text("SELECT status FROM floor_task WHERE id = :id FOR UPDATE"), {"id": task_id}
        ).scalar()
        if status is None:
            abort(404)
        if status != "open":
            abort(409)
        conn.execute(
            text(
                "UPDATE floor_task SET status = 'completed', data = CAST(:d AS jsonb) "
                "WHERE id = :id"
            ),
            {"id": task_id, "d": request.get_data(as_text=True) or "{}"},
        )
    return {"id": task_id, "status": "completed"}


@app.post("/api/v1/processes/<key>/instances")
def start(key: str) -> Any:
    body = request.get_json(force=True)
    with _engine().begin() as conn:
        _token(conn)
        conn.execute(
            text(
                "INSERT INTO floor_task (id, status, data) "
                "VALUES (:a, 'open', CAST(:d AS jsonb)), (:b, 'open', CAST(:d AS jsonb))"
            ),
            {
                "a": str(uuid.uuid4()),
                "b": str(uuid.uuid4()),
                "d": jsonify(body).get_data(as_text=True),
            },
        )
    return {"key": key, "state": "waiting"}, 201


def prepare(url: str) -> None:
    """The floor's table, made by the bench before gunicorn starts."""
    setup = create_engine(url)
    with setup.begin() as conn:
        conn.execute(text(TABLE))
        conn.execute(text(INDEX))
    setup.dispose()

"""Request limits: one budget per API token, and the login form per address."""

from __future__ import annotations

import dataclasses
import re

import pytest

from app.auth.tokens import create_token
from app.web import create_app


@pytest.fixture
def limited(db, settings):  # type: ignore[no-untyped-def]
    app = create_app(dataclasses.replace(settings, api_rate_limit="3 per minute"), db, testing=True)
    return app.test_client()


def _token(db, name: str) -> dict[str, str]:  # type: ignore[no-untyped-def]
    with db.transaction() as session:
        _, secret = create_token(session, name, ["tasks:read", "instances:read"])
    return {"Authorization": f"Bearer {secret}"}


def test_each_token_has_its_own_budget_across_the_api(limited, db) -> None:
    first, second = _token(db, "partner-a"), _token(db, "partner-b")
    answers = [
        limited.get(path, headers=first).status_code
        for path in ("/api/v1/tasks", "/api/v1/instances", "/api/v1/tasks")
    ]
    assert answers == [200, 200, 200]
    refused = limited.get("/api/v1/instances", headers=first)
    assert refused.status_code == 429
    body = refused.get_json()
    assert body["code"] == "too_many_requests" and "3 per 1 minute" in body["message"]
    assert int(refused.headers["Retry-After"]) > 0
    assert refused.headers["X-RateLimit-Remaining"] == "0"
    # Another partner is not held back by the first one's traffic.
    assert limited.get("/api/v1/tasks", headers=second).status_code == 200


def test_requests_without_a_token_are_limited_per_address(limited) -> None:
    codes = [limited.get("/api/v1/tasks").status_code for _ in range(4)]
    assert codes == [401, 401, 401, 429]


def test_login_form_is_limited_per_address(client) -> None:
    from app.ratelimit import LOGIN_LIMIT

    page = client.get("/inloggen").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)  # type: ignore[union-attr]
    form = {"gebruikersnaam": "x", "wachtwoord": "y", "csrf_token": token}
    allowed = int(LOGIN_LIMIT.split()[0])
    for _ in range(allowed):
        answer = client.post("/inloggen", data=form)
        assert answer.status_code == 422  # the form again: wrong name or password

    refused = client.post("/inloggen", data=form)
    assert refused.status_code == 429
    assert "Te veel verzoeken" in refused.get_data(as_text=True)
    # Reading the form stays possible.
    assert client.get("/inloggen").status_code == 200


def test_web_processes_share_one_budget(db, settings) -> None:  # type: ignore[no-untyped-def]
    """Two web processes (two apps) on one database count one budget per token: with
    counters per process, each gunicorn worker allowed the whole budget again."""
    shared = dataclasses.replace(
        settings, api_rate_limit="3 per minute", rate_limit_storage="database"
    )
    one = create_app(shared, db, testing=True).test_client()
    two = create_app(shared, db, testing=True).test_client()
    token = _token(db, "partner-a")
    codes = [
        client.get("/api/v1/tasks", headers=token).status_code for client in (one, two, one, two)
    ]
    assert codes == [200, 200, 200, 429]


def test_a_counter_starts_again_when_its_window_ends(db, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from app import ratelimit

    now = [1_000_000.0]
    monkeypatch.setattr(ratelimit.time, "time", lambda: now[0])
    storage = ratelimit.DatabaseStorage(engine=db.engine)
    assert [storage.incr("k", 60) for _ in range(3)] == [1, 2, 3]
    assert (storage.get("k"), storage.get_expiry("k"), storage.get("other")) == (3, now[0] + 60, 0)
    now[0] += 61
    assert storage.get("k") == 0
    assert storage.incr("k", 60, amount=2) == 2 and storage.get_expiry("k") == now[0] + 60
    storage.clear("k")
    assert storage.get("k") == 0 and storage.check()


def test_the_headers_come_from_the_requests_own_count(db, settings) -> None:  # type: ignore[no-untyped-def]
    """With the counters in the database, a request's X-RateLimit headers show the count its
    own upsert returned (across web processes), without reading the counter twice more."""
    from sqlalchemy import event

    shared = dataclasses.replace(
        settings, api_rate_limit="5 per minute", rate_limit_storage="database"
    )
    one = create_app(shared, db, testing=True).test_client()
    two = create_app(shared, db, testing=True).test_client()
    token = _token(db, "partner-a")
    assert one.get("/api/v1/tasks", headers=token).status_code == 200  # notes the first use
    seen: list[str] = []

    def note(_conn, _cursor, statement: str, *_args) -> None:  # type: ignore[no-untyped-def]
        if "rate_limit_counter" in statement:
            seen.append(statement.split()[0])

    def began(_conn) -> None:  # type: ignore[no-untyped-def]
        seen.append("begin")

    from app.ratelimit import counter_engine

    # The request's own session: on PostgreSQL a GET's is read-only (app/db.py).
    reads = db.read_only_session().get_bind()
    engines = {db.engine, counter_engine(db.engine), reads}
    for engine in engines:
        event.listen(engine, "before_cursor_execute", note)
        event.listen(engine, "begin", began)
    try:
        answers = [c.get("/api/v1/tasks", headers=token) for c in (two, one, two)]
    finally:
        for engine in engines:
            event.remove(engine, "before_cursor_execute", note)
            event.remove(engine, "begin", began)
    assert [a.headers["X-RateLimit-Remaining"] for a in answers] == ["3", "2", "1"]
    assert all(int(a.headers["X-RateLimit-Reset"]) > 0 for a in answers)
    # Per request: the upsert and the address's failed-token budget (checked before the
    # token is looked at) on one connection (on PostgreSQL one of the counters' own, each
    # statement its own transaction, and both in one statement); then the request's own
    # transaction.
    counted = ["INSERT", "SELECT"] if db.is_sqlite else ["WITH"]
    assert seen == ["begin", *counted, "begin"] * 3
    if not db.is_sqlite:
        from sqlalchemy import text

        with counter_engine(db.engine).connect() as connection:
            assert connection.connection.dbapi_connection.autocommit is True  # type: ignore[union-attr]
            assert connection.execute(text("SHOW synchronous_commit")).scalar() == "off"
        with db.engine.connect() as connection:  # the app's own commits are unchanged
            assert connection.connection.dbapi_connection.autocommit is False  # type: ignore[union-attr]


def test_a_request_reads_its_own_counter_from_its_upsert(db, settings) -> None:  # type: ignore[no-untyped-def]
    """The response's limit headers come from the count the request's own upsert answered:
    Flask-Limiter reads a counter four times for them, on a shared database each a connection
    of its own (most of an API call's time on PostgreSQL). Still counted in the database."""
    from sqlalchemy import event

    shared = dataclasses.replace(
        settings, api_rate_limit="3 per minute", rate_limit_storage="database"
    )
    client = create_app(shared, db, testing=True).test_client()
    token = _token(db, "partner-a")
    statements: list[str] = []

    def seen(conn, cursor, statement, *args) -> None:  # type: ignore[no-untyped-def]
        if "rate_limit_counter" in statement:
            statements.append(statement.split()[0])

    from app.ratelimit import counter_engine

    engine = counter_engine(db.engine)  # on PostgreSQL the counters' own connections
    event.listen(engine, "before_cursor_execute", seen)
    try:
        answers = [client.get("/api/v1/tasks", headers=token) for _ in range(4)]
    finally:
        event.remove(engine, "before_cursor_execute", seen)
    assert [a.status_code for a in answers] == [200, 200, 200, 429]
    assert [a.headers["X-RateLimit-Remaining"] for a in answers] == ["2", "1", "0", "0"]
    assert all(int(a.headers["X-RateLimit-Reset"]) > 0 for a in answers)
    # Per request one upsert of the API budget and, on its connection, one read of the
    # address's failed-token budget (read along with the upsert, so for the refused request
    # too, though it never reaches the token); on PostgreSQL both in one statement.
    assert statements == (["INSERT", "SELECT"] if db.is_sqlite else ["WITH"]) * 4

"""Issue 23: what starting a case over the API costs the database: the token, the latest
version with its definition, the party bindings with their groups; then the engine's
writes and the log rows, in one transaction."""

from __future__ import annotations

from typing import Any

from sqlalchemy import event

from tests.support.engine import FIXTURES, deploy_paths
from tests.support.orgs import bind, organisation


def test_a_start_reads_three_things_before_the_engine(client, db, clock, auth) -> None:
    deploy_paths(db, FIXTURES / "inbox.bpmn")
    organisation(db, "weert-swt", "wijkteam")
    bind(db, "test_inbox", "weert", "wijkteam", "weert-swt")

    def start(n: int) -> Any:
        body = {
            "business_key": f"Z-{n}",
            "municipality": "weert",
            "data": {"maanden_achterstand": 2, "naam": "J. Jansen"},
        }
        return client.post("/api/v1/processes/test_inbox/instances", headers=auth, json=body)

    # The first start also notes the token's use and reads the version's catalogue and spec
    # (once per process).
    assert start(1).status_code == 201
    seen: list[str] = []

    def note(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if not statement.startswith("BEGIN") and "rate_limit_counter" not in statement:
            seen.append(" ".join(statement.split()))

    event.listen(db.engine, "before_cursor_execute", note)
    try:
        answer = start(2)
    finally:
        event.remove(db.engine, "before_cursor_execute", note)
    assert answer.status_code == 201, answer.get_json()
    assert answer.get_json()["version"] == 1
    reads = [s.split(" FROM ")[1].split()[:3] for s in seen if s.startswith("SELECT")]
    assert reads == [
        ["api_token", "LEFT", "OUTER"],  # with its organisation and groups
        ["process_version", "JOIN", "process_definition"],
        ["party_binding", "JOIN", "app_group"],
    ]
    # The log rows, last, in it (on PostgreSQL both logs in one statement).
    logged = 2 if db.is_sqlite else 1
    assert seen[-logged:] == [s for s in seen if "_log " in s]

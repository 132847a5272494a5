"""Every API endpoint spends the API budget, and guessing bearer tokens is throttled per
address whichever tokens are guessed (issue 16, item 14)."""

from __future__ import annotations

import dataclasses
import secrets

import pytest

from app.auth.bearer import API_PREFIX
from app.auth.tokens import TOKEN_PREFIX, create_token
from app.web import create_app


def _bearer(db) -> dict[str, str]:  # type: ignore[no-untyped-def]
    with db.transaction() as session:
        _row, secret = create_token(session, "alles")  # every scope: no 403 hides a limit
    return {"Authorization": f"Bearer {secret}"}


def _api_calls(app) -> list[tuple[str, str, str]]:  # type: ignore[no-untyped-def]
    """(endpoint, method, url) for every route under the API prefix, with made-up values."""
    calls = []
    adapter = app.url_map.bind("localhost")
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith(API_PREFIX + "/"):
            continue
        # "1" converts for string and int path arguments alike.
        url = adapter.build(rule.endpoint, dict.fromkeys(rule.arguments, "1"))
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            calls.append((rule.endpoint, method, url))
    return calls


def test_every_api_endpoint_spends_the_api_budget(db, settings) -> None:
    app = create_app(dataclasses.replace(settings, api_rate_limit="1 per minute"), db, testing=True)
    client, auth = app.test_client(), _bearer(db)
    assert client.get(f"{API_PREFIX}/tasks", headers=auth).status_code == 200
    calls = _api_calls(app)
    # The API as registered: Weert's blueprint and the OpenAPI document are in it.
    blueprints = {endpoint.partition(".")[0] for endpoint, _m, _u in calls}
    assert {"processes", "tasks", "signals", "weert", "api-docs"} <= blueprints
    answers = {
        (endpoint, method): client.open(url, method=method, headers=auth).status_code
        for endpoint, method, url in calls
    }
    assert {k: v for k, v in answers.items() if v != 429} == {}


def test_guessed_tokens_are_throttled_per_address(db, settings) -> None:
    app = create_app(
        dataclasses.replace(settings, api_failed_auth_limit="5 per minute"), db, testing=True
    )
    client, auth = app.test_client(), _bearer(db)

    def guess() -> int:
        token = TOKEN_PREFIX + secrets.token_urlsafe(32)  # a new token each time
        return client.get(
            f"{API_PREFIX}/tasks", headers={"Authorization": f"Bearer {token}"}
        ).status_code

    assert [guess() for _ in range(5)] == [401] * 5
    refused = client.get(f"{API_PREFIX}/tasks", headers={"Authorization": "Bearer stroom_x"})
    assert refused.status_code == 429
    body = refused.get_json()
    assert body["code"] == "too_many_requests" and "mislukte" in body["message"]
    assert int(refused.headers["Retry-After"]) > 0
    # While the address is throttled, even a right token gets no answer: a lucky guess would
    # otherwise stand out.
    assert client.get(f"{API_PREFIX}/tasks", headers=auth).status_code == 429
    # Another address is not held back.
    elsewhere = app.test_client()
    elsewhere.environ_base["REMOTE_ADDR"] = "10.0.0.2"
    assert elsewhere.get(f"{API_PREFIX}/tasks", headers=auth).status_code == 200


def test_right_tokens_do_not_count_as_failures(db, settings) -> None:
    app = create_app(
        dataclasses.replace(settings, api_failed_auth_limit="2 per minute"), db, testing=True
    )
    client, auth = app.test_client(), _bearer(db)
    assert [client.get(f"{API_PREFIX}/tasks", headers=auth).status_code for _ in range(5)] == [
        200
    ] * 5


def test_calls_without_a_token_are_no_guesses(db, settings) -> None:
    """They are limited by the API budget per address (tests/api/test_rate_limit.py)."""
    app = create_app(
        dataclasses.replace(settings, api_failed_auth_limit="5/minute"), db, testing=True
    )
    client = app.test_client()
    assert [client.get(f"{API_PREFIX}/tasks").status_code for _ in range(6)] == [401] * 6
    assert (
        client.get(f"{API_PREFIX}/tasks", headers={"Authorization": "Bearer "}).status_code == 401
    )
    # A token of another form (no stroom_ prefix) is a guess all the same.
    guesses = [
        client.get(f"{API_PREFIX}/tasks", headers={"Authorization": f"Bearer x{n}"}).status_code
        for n in range(6)
    ]
    assert guesses == [401] * 5 + [429]


def test_a_malformed_failure_budget_is_refused_at_start(db, settings) -> None:
    with pytest.raises(ValueError, match="API_FAILED_AUTH_LIMIT"):
        create_app(dataclasses.replace(settings, api_failed_auth_limit="vijf"), db, testing=True)

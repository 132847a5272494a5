"""Who may call what, over every route the application has (read from its URL map, so a
new page or endpoint is covered the day it is added):

- anonymous: API answers 401, pages send to the login form;
- an API token without the endpoint's scope: 403;
- a person without one of a page's roles: 403; with one of them: not 403.

Which rows of data someone may see (other organisation, other municipality) is tested with
each domain (tasks, cases, privacy, manage); this file is about the doors.
"""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest
from werkzeug.routing import Rule

from app.auth.models import Role
from app.auth.tokens import create_token
from app.web import create_app
from tests.auth.test_login import login
from tests.support.orgs import organisation, user

PUBLIC = {
    "static",
    "_healthz",
    "ui.home",
    "auth.login",
    "auth.oidc_start",
    "auth.oidc_callback",
    "api-docs.openapi_json",
}


def _url(rule: Rule) -> str:
    values: dict[str, Any] = {}
    for name in rule.arguments:
        converter = rule._converters[name]  # noqa: SLF001 - placeholder per argument type
        values[name] = 1 if type(converter).__name__ in ("IntegerConverter",) else "onbekend"
    return rule.build(values, append_unknown=False)[1]  # type: ignore[index]


def _routes(app: Any) -> list[tuple[str, str, str]]:
    routes = []
    for rule in app.url_map.iter_rules():
        if rule.endpoint in PUBLIC:
            continue
        for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
            routes.append((rule.endpoint, method, _url(rule)))
    return routes


@pytest.fixture
def open_app(db, settings, clock):  # type: ignore[no-untyped-def]
    """CSRF off so that refusals come from the door under test, not the form token; no
    second factor so that every role can log in with a password."""
    app = create_app(dataclasses.replace(settings, totp_roles=frozenset()), db, testing=True)
    app.config["WTF_CSRF_ENABLED"] = False
    return app


def test_anonymous_callers_get_nothing(open_app) -> None:
    client = open_app.test_client()
    routes = _routes(open_app)
    assert len(routes) > 40
    for endpoint, method, url in routes:
        answer = client.open(url, method=method)
        if url.startswith("/api/"):
            assert answer.status_code == 401, (endpoint, method, url, answer.status_code)
        else:
            assert answer.status_code == 302, (endpoint, method, url, answer.status_code)
            assert answer.headers["Location"].startswith("/inloggen"), (endpoint, url)


def test_tokens_need_the_endpoints_scope(open_app, db) -> None:
    with db.transaction() as session:
        # A valid token whose one scope no endpoint below asks for.
        _, secret = create_token(session, "alleen-deploy", ["processes:deploy"])

    client = open_app.test_client()
    headers = {"Authorization": f"Bearer {secret}"}
    api = [r for r in _routes(open_app) if r[2].startswith("/api/")]
    assert api
    for endpoint, method, url in api:
        answer = client.open(url, method=method, headers=headers, json={})
        assert answer.status_code == 403, (endpoint, method, url, answer.status_code)
        assert "scope" in answer.get_json()["message"]
    with db.transaction() as session, pytest.raises(ValueError, match="minstens één scope"):
        create_token(session, "leeg", [])


def test_pages_refuse_people_without_their_role(open_app, db) -> None:
    organisation(db, "weert-sdv", "gemeente")
    for role in Role:
        user(db, f"als-{role.value}", "weert-sdv", roles=(role.value,))
    guarded: dict[str, tuple[str, ...]] = {}
    for endpoint, view in open_app.view_functions.items():
        roles = getattr(view, "_stroom_roles", None)
        if roles:
            guarded[endpoint] = roles
    assert "admin.users" in guarded
    routes = [r for r in _routes(open_app) if r[0] in guarded]
    for role in Role:
        client = open_app.test_client()
        assert login(client, f"als-{role.value}").status_code == 302
        for endpoint, method, url in routes:
            answer = client.open(url, method=method)
            if role.value in guarded[endpoint]:
                assert answer.status_code != 403, (role.value, endpoint, method, url)
            else:
                assert answer.status_code == 403, (role.value, endpoint, method, url)

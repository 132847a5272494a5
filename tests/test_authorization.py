"""Who may call what, over every route the application has (read from its URL map, so a
new page or endpoint is covered the day it is added):

- anonymous: API answers 401, pages send to the login form;
- an API token without the endpoint's scope: 403;
- a person without one of a page's roles: 403; with one of them: not 403.

Which rows of data someone may see (other organisation, other municipality) is tested with
each domain (tasks, cases, privacy, manage); this file is about the doors, and, at its end,
about real objects (a task, a case, a document) for each kind of person.
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


def _scope_of(app, endpoint: str, method: str) -> str:  # type: ignore[no-untyped-def]
    view = app.view_functions[endpoint]
    handler = getattr(getattr(view, "view_class", None), method.lower(), view)
    return handler._stroom_scope


def test_tokens_need_the_endpoints_scope(open_app, db) -> None:
    from app.auth.tokens import ALL_SCOPES

    secrets = {}
    with db.transaction() as session:
        for scope in ALL_SCOPES:  # a valid token with one scope each
            _, secrets[scope] = create_token(session, f"alleen-{scope}", [scope])

    client = open_app.test_client()
    api = [r for r in _routes(open_app) if r[2].startswith("/api/")]
    assert api
    for endpoint, method, url in api:
        needed = _scope_of(open_app, endpoint, method)
        assert needed in ALL_SCOPES, (endpoint, needed)
        other = next(s for s in ALL_SCOPES if s != needed)
        headers = {"Authorization": f"Bearer {secrets[other]}"}
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


# -- real objects: who gets what for a task, a case and a document ---------------------------
#
# The tests above fill URL parameters with placeholders, so object pages answer 404 for
# everyone; this matrix opens real ones, in a seeded world (tests/cases/support.py): the task
# and case belong to the Weert social team (sanne, its team lead tineke); the corporation
# (marieke) reported the case; henk works for Haarlem's social team and has no part in it.

PERSONS = ("sanne", "tineke", "marieke", "henk", None)  # None: not logged in
LOGIN = "login"  # a redirect to the login form

PAGE_MATRIX = {
    # (method, url template): expected per person, in the order of PERSONS
    ("GET", "/taken/{task}"): (200, 200, 404, 404, LOGIN),
    ("GET", "/zaken/{case}"): (200, 200, 200, 404, LOGIN),
    ("GET", "/zaken/{case}/documenten/{document}"): (200, 200, 404, 404, LOGIN),
    ("GET", "/zaken/{other_case}/documenten/{document}"): (404, 404, 404, 404, LOGIN),
    ("POST", "/zaken/{case}/documenten"): (302, 302, 302, 404, LOGIN),
    ("POST", "/zaken/{case}/toestemmingen/gesprek/intrekken"): (404, 404, 404, 404, LOGIN),
    ("POST", "/taken/{task}/claimen"): (302, 302, 404, 404, LOGIN),
    ("POST", "/taken/verdelen"): (403, 302, 403, 403, LOGIN),
}
API_MATRIX = {
    # expected for a token of: weert-swt, wonen-limburg, haarlem-swt, no token
    "/api/v1/tasks/{task}": (200, 404, 404, 401),
    "/api/v1/instances/{case}": (200, 200, 404, 401),
    "/api/v1/instances/{case}/data": (200, 200, 404, 401),
}


@pytest.fixture
def seeded(open_app, db, tmp_path, monkeypatch) -> dict[str, str]:  # type: ignore[no-untyped-def]
    from app.cases import documents
    from tests.cases.support import seed

    monkeypatch.setattr(documents, "STORE", tmp_path / "documenten")
    world = seed(db, open_app.extensions["stroom"].settings.secret_key)
    with db.transaction() as session:
        document = documents.store(
            session,
            world.case,
            "verslag.pdf",
            "application/pdf",
            b"%PDF-1",
            "brief",
            "user:samir",
        )
        document_id = document.id
    return {
        "task": world.task.id,
        "case": world.case,
        "other_case": world.tasks[1].instance_id,
        "document": str(document_id),
    }


def _form(url: str, ids: dict[str, str]) -> dict[str, Any]:
    if url.endswith("/verdelen"):
        return {"taken": [ids["task"]], "medewerker": "samir", "reden": "verdeling"}
    if url.endswith("/intrekken"):
        return {"reden": "bewoner belde", "kanaal": "mondeling"}
    return {}


def test_object_pages_for_each_kind_of_person(open_app, seeded, db) -> None:
    results: dict[tuple[str, str], list[Any]] = {}
    for index, person in enumerate(PERSONS):
        client = open_app.test_client()
        if person:
            assert login(client, person).status_code == 302
        for (method, template), expected in PAGE_MATRIX.items():
            url = template.format(**seeded)
            answer = client.open(url, method=method, data=_form(url, seeded))
            found: Any = answer.status_code
            if found == 302 and answer.headers["Location"].startswith("/inloggen"):
                found = LOGIN
            results.setdefault((method, template), []).append(found)
            assert found == expected[index], (person, method, url, found)
    assert {k: tuple(v) for k, v in results.items()} == PAGE_MATRIX


def test_api_objects_for_each_organisation(open_app, seeded, db) -> None:
    from tests.cases.support import token

    scopes = ["tasks:read", "instances:read", "cases:read"]
    tokens = [token(db, org, scopes) for org in ("weert-swt", "wonen-limburg", "haarlem-swt")]
    client = open_app.test_client()
    for template, expected in API_MATRIX.items():
        url = template.format(**seeded)
        found = [
            client.get(url, headers={"Authorization": f"Bearer {secret}"}).status_code
            for secret in tokens
        ] + [client.get(url).status_code]
        assert tuple(found) == expected, (url, found)

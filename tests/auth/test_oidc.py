"""Logging in with OpenID Connect against a fake identity provider that speaks the protocol.

The app's real Authlib client fetches the discovery document, the keys, the token (and the
user info) over HTTP from tests/fakes/oidc_provider.py; the browser's part (app -> provider
-> app) is played by hand: the Flask test client for the app, httpx for the provider.
"""

from __future__ import annotations

import dataclasses
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from sqlalchemy import select

from app.auth import service
from app.auth.models import User
from app.privacy.models import AuditLog
from app.web import create_app
from tests.fakes.oidc_provider import FakeOidcProvider, oidc_provider  # noqa: F401 - fixture
from tests.support.orgs import organisation, user

CALLBACK = "http://localhost/inloggen/oidc/terug"


@pytest.fixture
def provider(oidc_provider: FakeOidcProvider) -> FakeOidcProvider:  # noqa: F811
    oidc_provider.redirect_uris = [CALLBACK]
    return oidc_provider


@pytest.fixture
def oidc_app(db, settings, provider: FakeOidcProvider):  # type: ignore[no-untyped-def]
    configured = dataclasses.replace(
        settings,
        oidc_metadata_url=provider.metadata_url,
        oidc_client_id=provider.client_id,
        oidc_client_secret=provider.client_secret,
    )
    return create_app(configured, db, testing=True)


@pytest.fixture
def orgs(db) -> None:  # type: ignore[no-untyped-def]
    organisation(db, "weert-sdv", "gemeente")  # with its team "weert-sdv"
    organisation(db, "amw-weert", "amw")
    with db.transaction() as session:
        service.create_group(session, "weert-sdv-intake", "Intake", "weert-sdv")


def claims(**changes: Any) -> dict[str, Any]:
    base = {
        "sub": "f1c3-olga",
        "preferred_username": "Olga",
        "name": "Olga de Vries",
        "email": "olga@weert.example",
        "organisation": "weert-sdv",
        "groups": ["weert-sdv", "weert-sdv-intake"],
        "roles": ["behandelaar", "teamleider"],
    }
    base.update(changes)
    return {k: v for k, v in base.items() if v is not None}


def oidc_login(client: Any, provider: FakeOidcProvider, next_page: str | None = None) -> Any:
    """App -> provider -> app, as a browser would; the app's last answer (a redirect)."""
    start = client.get("/inloggen/oidc", query_string={"volgende": next_page} if next_page else {})
    assert start.status_code == 302
    authorize = start.headers["Location"]
    assert authorize.startswith(f"{provider.base_url}/authorize?")
    at_provider = httpx.get(authorize, follow_redirects=False)
    assert at_provider.status_code == 302, at_provider.text
    back = urlsplit(at_provider.headers["Location"])
    assert f"{back.scheme}://{back.netloc}{back.path}" == CALLBACK
    return client.get(f"{back.path}?{back.query}")


def logged_in(client: Any) -> bool:
    """The login page sends someone who is logged in on to the start page."""
    return client.get("/inloggen").status_code == 302


def oidc_audits(db) -> list[AuditLog]:  # type: ignore[no-untyped-def]
    with db.session() as session:
        return list(
            session.scalars(
                select(AuditLog)
                .where(AuditLog.action.in_(["inloggen via OIDC", "inloggen"]))
                .order_by(AuditLog.id)
            )
        )


def stored_user(db, username: str) -> User | None:  # type: ignore[no-untyped-def]
    with db.session() as session:
        row = session.scalar(select(User).where(User.username == username))
        if row is not None:
            _ = row.roles, [m.group.key for m in row.memberships], row.organisation.key
        return row


def test_known_claims_give_roles_groups_and_the_next_page(oidc_app, provider, orgs, db) -> None:
    client = oidc_app.test_client()
    provider.log_in_as(claims())
    done = oidc_login(client, provider, next_page="/taken?filter=mijn")

    assert done.status_code == 302
    assert done.headers["Location"] == "/taken?filter=mijn"
    assert logged_in(client)
    olga = stored_user(db, "olga")
    assert olga is not None and olga.oidc_subject == "f1c3-olga"
    assert olga.organisation.key == "weert-sdv" and olga.name == "Olga de Vries"
    assert olga.roles == {"behandelaar", "teamleider"}
    assert {m.group.key for m in olga.memberships} == {"weert-sdv", "weert-sdv-intake"}
    assert olga.password_hash is None and olga.last_login_at is not None
    last = oidc_audits(db)[-1]
    assert (last.action, last.actor, last.result) == ("inloggen", "user:olga", "gelukt")

    # The protocol as the provider saw it: a nonce, PKCE, an authenticated code exchange.
    (authorize,) = provider.requests_to("/authorize")
    assert authorize.args["nonce"] and authorize.args["state"]
    assert authorize.args["code_challenge_method"] == "S256"
    assert set(authorize.args["scope"].split()) >= {"openid", "profile", "email"}
    (token,) = provider.requests_to("/token")
    assert token.authorization and token.authorization.startswith("Basic ")
    assert token.form["code_verifier"] and "client_secret" not in token.form
    assert not provider.requests_to("/userinfo")  # the ID token had everything


def test_the_provider_stays_the_source_of_truth(oidc_app, provider, orgs, db) -> None:
    provider.log_in_as(claims())
    oidc_login(oidc_app.test_client(), provider)
    provider.log_in_as(claims(roles=["behandelaar"], groups=["weert-sdv"], name="Olga Jansen"))
    second = oidc_app.test_client()
    assert oidc_login(second, provider).headers["Location"] == "/"
    olga = stored_user(db, "olga")
    assert olga.roles == {"behandelaar"} and olga.name == "Olga Jansen"
    assert [m.group.key for m in olga.memberships] == ["weert-sdv"]
    with db.session() as session:
        assert session.scalar(select(User.id).where(User.oidc_subject == "f1c3-olga")) == olga.id


def test_claims_only_at_userinfo_are_used(oidc_app, provider, orgs, db) -> None:
    """Some providers keep custom claims out of the ID token; the app then asks /userinfo."""
    provider.claims_in_id_token = False
    provider.log_in_as(claims(roles="behandelaar teamleider", groups="weert-sdv"))
    client = oidc_app.test_client()
    assert oidc_login(client, provider).headers["Location"] == "/"
    assert logged_in(client)
    assert len(provider.requests_to("/userinfo")) == 1
    olga = stored_user(db, "olga")
    assert olga.roles == {"behandelaar", "teamleider"}
    assert [m.group.key for m in olga.memberships] == ["weert-sdv"]


def test_an_organisation_claim_may_be_a_list_of_one(oidc_app, provider, orgs, db) -> None:
    provider.log_in_as(claims(organisation=["weert-sdv"]))
    client = oidc_app.test_client()
    assert oidc_login(client, provider).headers["Location"] == "/"
    assert stored_user(db, "olga").organisation.key == "weert-sdv"


def test_userinfo_of_another_subject_is_not_used(oidc_app, provider, orgs, db) -> None:
    provider.claims_in_id_token = False
    provider.userinfo_sub = "iemand-anders"
    provider.log_in_as(claims())
    client = oidc_app.test_client()
    assert oidc_login(client, provider).headers["Location"] == "/inloggen"
    assert not logged_in(client) and stored_user(db, "olga") is None
    last = oidc_audits(db)[-1]
    assert (last.result, last.details["reden"]) == (
        "geweigerd",
        "de gebruikersinformatie van de identiteitsprovider hoort bij een ander",
    )


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"organisation": "nergens"}, "organisatie 'nergens' is hier niet bekend"),
        (
            {"organisation": None},
            "de identiteitsprovider gaf geen organisatie (claim 'organisation')",
        ),
        ({"groups": ["weert-sdv", "amw-weert"]}, "groep 'amw-weert' hoort niet bij weert-sdv"),
        ({"groups": ["bestaat-niet"]}, "groep 'bestaat-niet' is hier niet bekend"),
        ({"roles": ["behandelaar", "opperhoofd"]}, "onbekende rollen: opperhoofd"),
        (
            {"organisation": ["weert-sdv", "amw-weert"]},
            "de identiteitsprovider gaf meer dan één organisatie: weert-sdv, amw-weert",
        ),
    ],
    ids=[
        "organisatie",
        "geen-organisatie",
        "groep-andere-organisatie",
        "groep",
        "rol",
        "twee-organisaties",
    ],
)
def test_unknown_claims_are_refused_clearly_and_audited(
    oidc_app, provider, orgs, db, changes: dict[str, Any], message: str
) -> None:
    client = oidc_app.test_client()
    provider.log_in_as(claims(**changes))
    refused = oidc_login(client, provider, next_page="/taken")

    assert refused.status_code == 302 and refused.headers["Location"] == "/inloggen"
    page = client.get("/inloggen")
    assert page.status_code == 200  # still the login page: not logged in
    html = page.get_data(as_text=True).replace("&#39;", "'")
    assert f"Inloggen lukt niet: {message}" in html
    assert stored_user(db, "olga") is None  # nothing of the refused login stays behind
    last = oidc_audits(db)[-1]
    assert (last.action, last.result) == ("inloggen via OIDC", "geweigerd")
    assert last.details["reden"] == message
    assert last.details["sub"] == "f1c3-olga"
    assert last.object_id == "olga"


def test_a_deactivated_account_is_refused(oidc_app, provider, orgs, db) -> None:
    provider.log_in_as(claims())
    client = oidc_app.test_client()
    oidc_login(client, provider)
    assert logged_in(client)
    with db.transaction() as session:
        session.scalar(select(User).where(User.username == "olga")).active = False

    assert not logged_in(client)  # the running session ends at once
    refused = oidc_login(client, provider)
    assert refused.headers["Location"] == "/inloggen"
    assert "Inloggen lukt niet: dit account is uitgeschakeld" in client.get("/inloggen").get_data(
        as_text=True
    )
    assert not logged_in(client)
    last = oidc_audits(db)[-1]
    assert (last.result, last.details["reden"]) == ("geweigerd", "dit account is uitgeschakeld")
    assert stored_user(db, "olga").roles == {"behandelaar", "teamleider"}  # unchanged


def test_a_local_account_is_not_taken_over(oidc_app, provider, orgs, db) -> None:
    user(db, "olga", "weert-sdv")  # a password account with the same user name
    provider.log_in_as(claims(roles=["beheerder"]))
    client = oidc_app.test_client()
    assert oidc_login(client, provider).headers["Location"] == "/inloggen"
    assert not logged_in(client)
    olga = stored_user(db, "olga")
    assert olga.oidc_subject is None and olga.roles == {"behandelaar"}
    assert oidc_audits(db)[-1].details["reden"] == (
        "er bestaat al een lokaal account met deze gebruikersnaam"
    )


def test_next_page_is_never_another_site(oidc_app, provider, orgs) -> None:
    provider.log_in_as(claims())
    done = oidc_login(oidc_app.test_client(), provider, next_page="https://evil.example/x")
    assert done.headers["Location"] == "/"


def test_a_forged_state_or_a_cancelled_login_fails_safely(oidc_app, provider, orgs, db) -> None:
    client = oidc_app.test_client()
    provider.log_in_as(claims())
    start = client.get("/inloggen/oidc")
    back = httpx.get(start.headers["Location"], follow_redirects=False).headers["Location"]
    code = parse_qs(urlsplit(back).query)["code"][0]
    forged = client.get("/inloggen/oidc/terug", query_string={"code": code, "state": "vals"})
    assert forged.headers["Location"] == "/inloggen"
    assert "Inloggen via de identiteitsprovider is mislukt" in client.get("/inloggen").get_data(
        as_text=True
    )
    assert not logged_in(client) and not provider.requests_to("/token")

    provider.log_in_as(None)  # the person cancels at the provider
    assert oidc_login(client, provider).headers["Location"] == "/inloggen"
    assert not logged_in(client)
    assert stored_user(db, "olga") is None
    assert [a.result for a in oidc_audits(db)] == ["fout", "fout"]


def test_without_oidc_settings_the_routes_send_to_the_login_page(app) -> None:
    client = app.test_client()
    assert client.get("/inloggen/oidc").headers["Location"] == "/inloggen"
    assert client.get("/inloggen/oidc/terug?code=x&state=y").headers["Location"] == "/inloggen"

"""OpenID Connect login (Keycloak, Entra ID, ...) with Authlib.

The identity provider tells who someone is; three claims (names configurable) say for which
organisation they work, in which groups and with which roles. A user is created or updated on
every login from those claims, so the provider stays the source of truth. Unknown
organisations, groups and roles are refused rather than guessed.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from authlib.integrations.flask_client import OAuth
from flask import Flask
from sqlalchemy import select
from sqlalchemy.orm import Session

from app import clock
from app.auth.models import Group, GroupMember, Organisation, Role, User, UserRole
from app.config import Settings


class OidcRefused(Exception):
    """The provider's answer does not fit this installation (no organisation, ...)."""


def register_oidc(app: Flask, settings: Settings) -> None:
    if not settings.oidc_metadata_url:
        return
    oauth = OAuth(app)
    app.extensions["stroom_oidc"] = oauth.register(
        "stroom_oidc",
        client_id=settings.oidc_client_id,
        client_secret=settings.oidc_client_secret,
        server_metadata_url=settings.oidc_metadata_url,
        # PKCE (S256) on top of the client secret, as the OAuth 2.0 security BCP asks.
        client_kwargs={"scope": "openid profile email", "code_challenge_method": "S256"},
    )


def _as_list(value: Any) -> list[str]:
    if value is None:
        return []
    if isinstance(value, str):
        return [v for v in value.replace(",", " ").split() if v]
    return [str(v) for v in value]


def login_claims(
    token: dict[str, Any], fetch_userinfo: Callable[[], dict[str, Any]], settings: Settings
) -> dict[str, Any]:
    """The claims to log in with: those of the (validated) ID token, completed from the
    UserInfo endpoint when the provider keeps the organisation, group or role claims out of
    the ID token (OpenID Connect Core 5.4/5.5 lets it). The UserInfo answer is used only when
    its `sub` is the ID token's (Core 5.3.2); the ID token's own claims win."""
    claims = dict(token.get("userinfo") or {})
    wanted = (
        settings.oidc_claim_organisation,
        settings.oidc_claim_groups,
        settings.oidc_claim_roles,
    )
    if claims and all(name in claims for name in wanted):
        return claims
    extra = dict(fetch_userinfo() or {})
    if claims and str(extra.get("sub") or "") != str(claims.get("sub") or ""):
        raise OidcRefused("de gebruikersinformatie van de identiteitsprovider hoort bij een ander")
    return {**extra, **claims}


def claimed_username(claims: dict[str, Any]) -> str:
    """The user name a provider's claims give: preferred_username, else e-mail, else sub."""
    name = claims.get("preferred_username") or claims.get("email") or claims.get("sub") or ""
    return str(name).lower()[:150]


def user_from_claims(session: Session, claims: dict[str, Any], settings: Settings) -> User:
    subject = str(claims.get("sub") or "")
    if not subject:
        raise OidcRefused("de identiteitsprovider gaf geen 'sub'")
    org_keys = _as_list(claims.get(settings.oidc_claim_organisation))
    if not org_keys:
        raise OidcRefused(
            f"de identiteitsprovider gaf geen organisatie (claim "
            f"{settings.oidc_claim_organisation!r})"
        )
    if len(org_keys) > 1:
        raise OidcRefused(
            "de identiteitsprovider gaf meer dan één organisatie: " + ", ".join(org_keys)
        )
    org_key = org_keys[0]
    organisation = session.scalar(select(Organisation).where(Organisation.key == org_key))
    if organisation is None or not organisation.active:
        raise OidcRefused(f"organisatie {org_key!r} is hier niet bekend")
    roles = set(_as_list(claims.get(settings.oidc_claim_roles)))
    unknown = roles - {r.value for r in Role}
    if unknown:
        raise OidcRefused(f"onbekende rollen: {', '.join(sorted(unknown))}")
    groups = []
    for key in _as_list(claims.get(settings.oidc_claim_groups)):
        group = session.scalar(select(Group).where(Group.key == key))
        if group is None:
            raise OidcRefused(f"groep {key!r} is hier niet bekend")
        if group.organisation_id != organisation.id:
            raise OidcRefused(f"groep {key!r} hoort niet bij {organisation.key}")
        groups.append(group)
    user = session.scalar(select(User).where(User.oidc_subject == subject))
    username = claimed_username(claims)
    if user is None:
        taken = session.scalar(select(User).where(User.username == username))
        if taken is not None:
            raise OidcRefused("er bestaat al een lokaal account met deze gebruikersnaam")
        user = User(
            username=username,
            name=str(claims.get("name") or username),
            email=claims.get("email"),
            organisation_id=organisation.id,
            oidc_subject=subject,
            active=True,
            failed_logins=0,
            created_at=clock.now(),
        )
        session.add(user)
        session.flush()
    elif not user.active:
        raise OidcRefused("dit account is uitgeschakeld")
    user.organisation_id = organisation.id
    user.name = str(claims.get("name") or user.name)
    user.email = claims.get("email") or user.email
    user.role_rows = [UserRole(role=r) for r in sorted(roles)]
    user.memberships = [GroupMember(group_id=g.id, user_id=user.id) for g in groups]
    session.flush()
    session.refresh(user)
    return user

"""Managing organisations, groups and users, and checking who someone is."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import pyotp
from sqlalchemy import select
from sqlalchemy.orm import Session

from app import clock
from app.auth.crypto import decrypt, encrypt
from app.auth.models import (
    ApiToken,
    ClosureDay,
    Group,
    GroupMember,
    Organisation,
    OrganisationKind,
    Role,
    User,
    UserRole,
)
from app.auth.passwords import WeakPassword, hash_password, needs_rehash, verify_password
from app.auth.principal import Principal
from app.engine.errors import Conflict, InvalidInput, NotFound

KEY = re.compile(r"^[a-z0-9][a-z0-9-]{1,98}$")
MAX_FAILED_LOGINS = 5
LOCKOUT = timedelta(minutes=15)


class LoginError(Exception):
    """Login refused; the message is safe to show (it never says whether a user exists)."""


# -- organisations, groups, users ------------------------------------------------------------


def _check_key(value: str, field: str) -> None:
    if not KEY.match(value):
        raise InvalidInput(
            f"ongeldige sleutel {value!r}",
            {field: ["kleine letters, cijfers en streepjes, 2-99 tekens"]},
        )


def organisation(session: Session, key: str) -> Organisation:
    row = session.scalar(select(Organisation).where(Organisation.key == key))
    if row is None:
        raise NotFound(f"organisatie {key!r} bestaat niet")
    return row


def create_organisation(
    session: Session, key: str, name: str, kind: str, municipality: str | None = None
) -> Organisation:
    _check_key(key, "key")
    if kind not in {k.value for k in OrganisationKind}:
        raise InvalidInput(
            "onbekende soort organisatie",
            {"kind": [f"een van: {', '.join(k.value for k in OrganisationKind)}"]},
        )
    if session.scalar(select(Organisation.id).where(Organisation.key == key)):
        raise Conflict(f"organisatie {key!r} bestaat al")
    row = Organisation(
        key=key,
        name=name,
        kind=kind,
        municipality=municipality,
        active=True,
        created_at=clock.now(),
    )
    session.add(row)
    session.flush()
    return row


def group(session: Session, key: str) -> Group:
    row = session.scalar(select(Group).where(Group.key == key))
    if row is None:
        raise NotFound(f"groep {key!r} bestaat niet")
    return row


def create_group(session: Session, key: str, name: str, organisation_key: str) -> Group:
    _check_key(key, "key")
    if session.scalar(select(Group.id).where(Group.key == key)):
        raise Conflict(f"groep {key!r} bestaat al")
    row = Group(key=key, name=name, organisation_id=organisation(session, organisation_key).id)
    session.add(row)
    session.flush()
    return row


def user(session: Session, username: str) -> User:
    row = session.scalar(select(User).where(User.username == username))
    if row is None:
        raise NotFound(f"gebruiker {username!r} bestaat niet")
    return row


def create_user(
    session: Session,
    username: str,
    name: str,
    organisation_key: str,
    *,
    password: str | None = None,
    email: str | None = None,
    roles: list[str] | tuple[str, ...] = (),
    groups: list[str] | tuple[str, ...] = (),
) -> User:
    if not re.match(r"^[a-z0-9._@-]{2,150}$", username):
        raise InvalidInput(
            "ongeldige gebruikersnaam", {"username": ["kleine letters, cijfers en . _ @ -"]}
        )
    if session.scalar(select(User.id).where(User.username == username)):
        raise Conflict(f"gebruiker {username!r} bestaat al")
    row = User(
        username=username,
        name=name,
        email=email,
        organisation_id=organisation(session, organisation_key).id,
        active=True,
        failed_logins=0,
        created_at=clock.now(),
    )
    if password is not None:
        set_password(row, password)
    session.add(row)
    session.flush()
    set_roles(session, row, roles)
    for key in groups:
        add_to_group(session, row, key)
    return row


def set_password(row: User, password: str) -> None:
    try:
        row.password_hash = hash_password(password)
    except WeakPassword as exc:
        raise InvalidInput(str(exc), {"password": [str(exc)]}) from exc


def set_roles(session: Session, row: User, roles: list[str] | tuple[str, ...]) -> None:
    known = {r.value for r in Role}
    unknown = sorted(set(roles) - known)
    if unknown:
        raise InvalidInput("onbekende rollen", {"roles": [f"onbekend: {', '.join(unknown)}"]})
    row.role_rows = [UserRole(role=r) for r in sorted(set(roles))]
    session.flush()


def add_to_group(session: Session, row: User, group_key: str) -> None:
    target = group(session, group_key)
    if target.organisation_id != row.organisation_id:
        raise InvalidInput(
            "groep hoort bij een andere organisatie",
            {"groups": [f"{group_key} is van een andere organisatie"]},
        )
    if all(m.group_id != target.id for m in row.memberships):
        row.memberships.append(GroupMember(group_id=target.id, user_id=row.id))
        session.flush()


def add_closure_day(session: Session, organisation_key: str, day: Any, reason: str) -> None:
    session.add(
        ClosureDay(
            organisation_id=organisation(session, organisation_key).id, day=day, reason=reason
        )
    )
    session.flush()


# -- principals ------------------------------------------------------------------------------


def principal_for_user(row: User) -> Principal:
    return Principal(
        kind="user",
        id=row.id,
        name=row.username,
        organisation_id=row.organisation_id,
        organisation_key=row.organisation.key,
        municipality=row.organisation.municipality,
        roles=frozenset(row.roles),
        groups=frozenset(m.group.key for m in row.memberships),
    )


def principal_for_token(session: Session, token: ApiToken) -> Principal:
    if token.organisation is None:
        return Principal("token", token.id, token.name, scopes=frozenset(token.scopes or []))
    groups = session.scalars(
        select(Group.key).where(Group.organisation_id == token.organisation_id)
    ).all()
    return Principal(
        kind="token",
        id=token.id,
        name=token.name,
        organisation_id=token.organisation_id,
        organisation_key=token.organisation.key,
        municipality=token.organisation.municipality,
        roles=frozenset({Role.PARTNER_SYSTEM.value}),
        groups=frozenset(groups),
        scopes=frozenset(token.scopes or []),
    )


# -- login -----------------------------------------------------------------------------------


def check_password(session: Session, username: str, password: str) -> User:
    """The user, if the password is right and the account usable; LoginError otherwise.
    Repeated failures lock the account for a while, whatever the next password is."""
    now = clock.now()
    row = session.scalar(select(User).where(User.username == username.strip().lower()))
    if row is not None and row.locked_until is not None and row.locked_until > now:
        verify_password(None, password)  # same effort as a real check
        raise LoginError(
            "account tijdelijk geblokkeerd na te veel mislukte pogingen; probeer het later opnieuw"
        )
    if row is None or not row.active or not verify_password(row.password_hash, password):
        if row is not None:
            row.failed_logins += 1
            if row.failed_logins >= MAX_FAILED_LOGINS:
                row.locked_until = now + LOCKOUT
                row.failed_logins = 0
        raise LoginError("gebruikersnaam of wachtwoord onjuist")
    row.failed_logins = 0
    row.locked_until = None
    if row.password_hash and needs_rehash(row.password_hash):
        row.password_hash = hash_password(password)
    return row


def totp_required(row: User, required_roles: set[str]) -> bool:
    return row.totp_secret is not None or bool(row.roles & required_roles)


def start_totp_enrollment(secret_key: str) -> str:
    """A fresh TOTP seed (base32); stored only once the user proves they installed it."""
    return pyotp.random_base32()


def finish_totp_enrollment(row: User, secret_key: str, seed: str, code: str) -> None:
    if not pyotp.TOTP(seed).verify(code.strip(), for_time=clock.now(), valid_window=1):
        raise LoginError("code klopt niet; controleer de tijd op uw telefoon")
    row.totp_secret = encrypt(secret_key, seed)


def check_totp(row: User, secret_key: str, code: str) -> None:
    if row.totp_secret is None:
        raise LoginError("geen tweede factor ingesteld")
    seed = decrypt(secret_key, row.totp_secret)
    if not pyotp.TOTP(seed).verify(code.strip(), for_time=clock.now(), valid_window=1):
        row.failed_logins += 1
        if row.failed_logins >= MAX_FAILED_LOGINS:
            row.locked_until = clock.now() + LOCKOUT
            row.failed_logins = 0
        raise LoginError("code onjuist")


def totp_uri(seed: str, username: str) -> str:
    return pyotp.TOTP(seed).provisioning_uri(name=username, issuer_name="Stroom")


def record_login(row: User) -> None:
    row.last_login_at = clock.now()

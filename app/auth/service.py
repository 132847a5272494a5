"""Managing organisations, groups and users, and checking who someone is."""

from __future__ import annotations

import hmac
import re
from datetime import datetime, timedelta
from typing import Any

import pyotp
from sqlalchemy import bindparam, select
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
from app.auth.passwords import (
    WeakPassword,
    hash_password,
    needs_rehash,
    rehash,
    verify_password,
)
from app.auth.principal import Principal
from app.auth.tokens import TOKEN_PREFIX, hash_token
from app.engine.errors import Conflict, InvalidInput, NotFound

KEY = re.compile(r"^[a-z0-9][a-z0-9-]{1,98}$")
MAX_FAILED_LOGINS = 5
LOCKOUT = timedelta(minutes=15)


class LoginError(Exception):
    """Login refused; the message is safe to show (it never says whether a user exists).
    `reason` says more, for the audit log only."""

    def __init__(self, message: str, reason: str | None = None) -> None:
        super().__init__(message)
        self.reason = reason or message


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


# A bearer token's row, its organisation and that organisation's groups (one row per group;
# one row with no group key for a token without organisation or groups): everything a request
# needs to know who calls, read in one statement on every request. Nothing is cached between
# requests, so a revoked or expired token, a deactivated organisation or a changed group is
# refused or seen on the very next request.
_BEARER = (
    select(
        ApiToken.id,
        ApiToken.name,
        ApiToken.scopes,
        ApiToken.organisation_id,
        ApiToken.expires_at,
        ApiToken.revoked_at,
        ApiToken.last_used_at,
        Organisation.key,
        Organisation.municipality,
        Organisation.active,
        Group.key.label("group_key"),
    )
    .outerjoin(Organisation, Organisation.id == ApiToken.organisation_id)
    .outerjoin(Group, Group.organisation_id == ApiToken.organisation_id)
    .where(ApiToken.token_hash == bindparam("token_hash"))
)


def bearer_principal(session: Session, token: str) -> tuple[Principal, datetime | None] | None:
    """Who a bearer token acts for, and when it was last noted in use; None for a token that
    is unknown, revoked, expired or of a deactivated organisation. The only place these rules
    live: the token, its organisation and its groups in one statement."""
    if not token.startswith(TOKEN_PREFIX):
        return None
    rows = session.execute(_BEARER, {"token_hash": hash_token(token)}).all()
    if not rows:
        return None
    first = rows[0]
    if first.revoked_at is not None:
        return None
    if first.expires_at is not None and first.expires_at <= clock.now():
        return None
    scopes = frozenset(first.scopes or [])
    if first.organisation_id is None:
        return Principal("token", first.id, first.name, scopes=scopes), first.last_used_at
    if not first.active:
        return None
    principal = Principal(
        kind="token",
        id=first.id,
        name=first.name,
        organisation_id=first.organisation_id,
        organisation_key=first.key,
        municipality=first.municipality,
        roles=frozenset({Role.PARTNER_SYSTEM.value}),
        groups=frozenset(row.group_key for row in rows if row.group_key is not None),
        scopes=scopes,
    )
    return principal, first.last_used_at


# -- login -----------------------------------------------------------------------------------

# One answer for every refused password step (unknown, deactivated, locked, wrong), so the
# answer does not tell whether a username exists.
REFUSED = (
    "gebruikersnaam of wachtwoord onjuist, of het account is tijdelijk geblokkeerd; "
    "probeer het later opnieuw"
)
LOCKED = "account tijdelijk geblokkeerd na te veel mislukte pogingen; probeer het later opnieuw"


def _locked(row: User, now: datetime) -> bool:
    return row.locked_until is not None and row.locked_until > now


def _count_failure(row: User, now: datetime) -> None:
    """Password and code failures count together; the count is cleared only by a complete
    login, so entering the password again buys no new series of code guesses."""
    row.failed_logins += 1
    if row.failed_logins >= MAX_FAILED_LOGINS:
        row.locked_until = now + LOCKOUT
        row.failed_logins = 0


def check_password(session: Session, username: str, password: str) -> User:
    """The user, if the password is right and the account usable; LoginError(REFUSED)
    otherwise. Every case costs one argon2 verification (a dummy hash for unknown users), so
    neither the answer nor its time tells whether a username exists. Repeated failures lock
    the account for a while, whatever the next password is."""
    now = clock.now()
    row = session.scalar(select(User).where(User.username == username.strip().lower()))
    right = verify_password(row.password_hash if row is not None else None, password)
    if row is None:
        raise LoginError(REFUSED, "onbekende gebruiker")
    if _locked(row, now):
        raise LoginError(REFUSED, "account geblokkeerd")
    if not right:
        _count_failure(row, now)
        raise LoginError(REFUSED, "wachtwoord onjuist")
    if not row.active or not row.organisation.active:
        raise LoginError(REFUSED, "account of organisatie uitgeschakeld")
    if row.password_hash and needs_rehash(row.password_hash):
        row.password_hash = rehash(password)
    return row


def totp_required(row: User, required_roles: set[str]) -> bool:
    return row.totp_secret is not None or bool(row.roles & required_roles)


def start_totp_enrollment(secret_key: str) -> str:
    """A fresh TOTP seed (base32); stored only once the user proves they installed it."""
    return pyotp.random_base32()


def _code_step(seed: str, code: str, now: datetime) -> int | None:
    """The time step whose code this is, one step either way allowed for clock drift."""
    totp = pyotp.TOTP(seed)
    given = code.strip().encode()
    current = totp.timecode(now)
    for step in (current - 1, current, current + 1):
        if hmac.compare_digest(totp.generate_otp(step).encode(), given):
            return step
    return None


def _accept_code(row: User, seed: str, code: str, wrong: str) -> None:
    """A locked account refuses even the right code; a wrong code counts towards the lock; a
    code is accepted once (no replay within its window)."""
    now = clock.now()
    if _locked(row, now):
        raise LoginError(LOCKED)
    step = _code_step(seed, code, now)
    if step is None:
        _count_failure(row, now)
        raise LoginError(wrong, "code onjuist")
    if row.totp_last_step is not None and step <= row.totp_last_step:
        raise LoginError("deze code is al gebruikt; wacht op de volgende code in uw app")
    row.totp_last_step = step


def finish_totp_enrollment(row: User, secret_key: str, seed: str, code: str) -> None:
    """Only for an account without a second factor: replacing one takes an administrator's
    reset (reset_second_factor) first, never just the password."""
    if row.totp_secret is not None:
        raise LoginError("er is al een tweede factor ingesteld")
    _accept_code(row, seed, code, "code klopt niet; controleer de tijd op uw telefoon")
    row.totp_secret = encrypt(secret_key, seed)


def check_totp(row: User, secret_key: str, code: str) -> None:
    if row.totp_secret is None:
        raise LoginError("geen tweede factor ingesteld")
    _accept_code(row, decrypt(secret_key, row.totp_secret), code, "code onjuist")


def totp_uri(seed: str, username: str) -> str:
    return pyotp.TOTP(seed).provisioning_uri(name=username, issuer_name="Stroom")


def record_login(row: User) -> None:
    """A complete login (every factor given) clears the count of failures."""
    row.last_login_at = clock.now()
    row.failed_logins = 0
    row.locked_until = None


# -- ending sessions ---------------------------------------------------------------------------


def end_sessions(row: User) -> None:
    """Every session of the user ends: sessions carry the generation they were made in."""
    row.session_generation += 1


def change_password(row: User, password: str) -> None:
    set_password(row, password)
    end_sessions(row)


def deactivate(row: User) -> None:
    row.active = False
    end_sessions(row)


def reset_second_factor(row: User) -> None:
    """The user sets up a new second factor at the next login (after the password)."""
    row.totp_secret = None
    row.totp_last_step = None
    end_sessions(row)

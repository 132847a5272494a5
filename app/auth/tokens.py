"""Creating, checking and revoking API tokens."""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from app import clock
from app.auth.models import ApiToken
from app.engine.errors import NotFound

TOKEN_PREFIX = "stroom_"
ALL_SCOPES = (
    "processes:read",
    "processes:deploy",
    "instances:read",
    "instances:write",
    "tasks:read",
    "tasks:write",
    "messages:write",
    "cases:read",
    "signals:write",
    "feedback:read",
)
# last_used_at is written at most this often per token, to keep reads cheap.
_TOUCH_INTERVAL = timedelta(minutes=1)


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def create_token(
    session: Session,
    name: str,
    scopes: list[str] | None = None,
    created_by: str | None = None,
    expires_at: datetime | None = None,
    organisation_id: int | None = None,
) -> tuple[ApiToken, str]:
    """Returns the row and the token itself, which is shown once and never stored.

    A token with an organisation acts for that partner; one without acts for the whole
    installation and is meant for operators only."""
    # None means every scope (operators' CLI default); an empty list is a mistake, not "all".
    scopes = list(ALL_SCOPES) if scopes is None else list(scopes)
    if not scopes:
        raise ValueError("een token heeft minstens één scope nodig")
    unknown = sorted(set(scopes) - set(ALL_SCOPES))
    if unknown:
        raise ValueError(f"onbekende scopes: {', '.join(unknown)}")
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    row = ApiToken(
        name=name,
        prefix=token[: len(TOKEN_PREFIX) + 6],
        token_hash=hash_token(token),
        scopes=scopes,
        created_at=clock.now(),
        created_by=created_by,
        expires_at=expires_at,
        organisation_id=organisation_id,
    )
    session.add(row)
    session.flush()
    return row, token


def due_for_touch(last_used_at: datetime | None) -> bool:
    """Whether to note this use: at most once a minute per token, to keep reads cheap."""
    return last_used_at is None or clock.now() - last_used_at > _TOUCH_INTERVAL


def revoke_token(session: Session, token_id: int) -> ApiToken:
    row = session.get(ApiToken, token_id)
    if row is None:
        raise NotFound(f"token {token_id} bestaat niet")
    row.revoked_at = row.revoked_at or clock.now()
    return row

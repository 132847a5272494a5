"""What every privacy officer's page shares: the blueprint, the role, the export formats, the
request's database session and services, an audit line for the officer's action, a download."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, g

from app import clock
from app.auth.models import Role
from app.exports import MEDIA_TYPES
from app.privacy import logs

bp = Blueprint("privacy", __name__, url_prefix="/privacy")
OFFICER = Role.PRIVACY_OFFICER.value
FORMATS = ("csv", "xlsx")


def services() -> Any:
    from app.services import stroom

    return stroom()


def request_session() -> Any:
    from app.services import db_session

    return db_session()


def audit_action(
    action: str,
    object_type: str,
    object_id: str | None = None,
    result: str = "gelukt",
    **details: Any,
) -> None:
    app = services()
    logs.audit(
        app.db,
        app.settings.secret_key,
        g.principal,
        action,
        object_type,
        object_id,
        result,
        details,
    )


def download(content: bytes, fmt: str, stem: str) -> Response:
    stamp = clock.local(clock.now()).strftime("%Y%m%d-%H%M")
    return Response(
        content,
        mimetype=MEDIA_TYPES[fmt],
        headers={
            "Content-Disposition": f'attachment; filename="{stem}-{stamp}.{fmt}"',
            "Cache-Control": "no-store",
        },
    )

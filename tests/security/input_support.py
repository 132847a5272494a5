"""For the input tests: a corporation (Wonen Limburg) that reports signals to the melding
fixture process in Weert, with an API token and a user for the pages."""

from __future__ import annotations

import io
from typing import Any

from sqlalchemy import func, select

from app.auth.tokens import create_token
from app.db import Database
from app.intake.models import Signal
from tests.support.engine import FIXTURES, deploy_paths
from tests.support.orgs import bind, organisation, partner, user
from tests.support.web import csrf_token, log_in


def reporting_partner(db: Database) -> dict[str, str]:
    """Set up the corporation; its API token's Authorization header (user: marieke)."""
    deploy_paths(db, FIXTURES / "melding.bpmn")
    principal = partner(db, "wonen-limburg", "test_melding", pattern=r"WL-\d{6}")
    organisation(db, "weert-sdv", "gemeente")
    bind(db, "test_melding", "weert", "wijkteam", "weert-sdv")
    user(db, "marieke", "wonen-limburg")
    with db.transaction() as session:
        _row, secret = create_token(
            session,
            "wonen-limburg-systeem",
            ["signals:write", "feedback:read"],
            organisation_id=principal.organisation_id,
        )
    return {"Authorization": f"Bearer {secret}"}


def stored(db: Database) -> int:
    with db.session() as session:
        return session.scalar(select(func.count()).select_from(Signal)) or 0


def upload_page(client: Any, filename: str, content: bytes) -> Any:
    """The file on *Meldingen inlezen*, as marieke."""
    log_in(client, "marieke")
    return client.post(
        "/meldingen/bestand",
        data={
            "csrf_token": csrf_token(client, "/meldingen/bestand"),
            "bestand": (io.BytesIO(content), filename),
        },
        content_type="multipart/form-data",
    )


def upload_api(client: Any, auth: dict[str, str], filename: str, content: bytes) -> Any:
    return client.post(
        "/api/v1/signals/batches",
        data={"bestand": (io.BytesIO(content), filename)},
        content_type="multipart/form-data",
        headers=auth,
    )

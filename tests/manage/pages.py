"""Reading the monitoring pages in tests: forms, tables and the state they act on."""

from __future__ import annotations

import json
import re
from html import unescape
from typing import Any

from sqlalchemy import func, select

from app.db import Database
from app.engine.models import HumanTask, Incident, InstanceEvent, ProcessInstance
from app.privacy.models import AuditLog, ProcessingLog


def html(response: Any) -> str:
    return response.get_data(as_text=True)


def token(page: str) -> str:
    match = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert match, "geen CSRF-token op de pagina"
    return match.group(1)


def json_script(page: str, element_id: str) -> Any:
    match = re.search(
        rf'<script type="application/json" id="{re.escape(element_id)}">(.*?)</script>',
        page,
        re.S,
    )
    assert match, f"geen <script id={element_id}> op de pagina"
    return json.loads(match.group(1))


def text(page: str) -> str:
    """The page's text, tags removed, whitespace folded."""
    return " ".join(unescape(re.sub(r"<[^>]+>", " ", page)).split())


def rows_with(page: str, attribute: str) -> list[str]:
    """The values of data-<attribute> on the page's table rows, in order."""
    return re.findall(rf'<tr class="utrecht-table__row"[^>]* data-{attribute}="([^"]+)"', page)


def state(db: Database) -> dict[str, Any]:
    """What an action could change: every instance's status, the open incidents, who holds
    each open task, the history and the audit log's size."""
    with db.session() as session:
        return {
            "status": dict(
                session.execute(select(ProcessInstance.id, ProcessInstance.status)).all()
            ),
            "incidents": sorted(
                session.scalars(select(Incident.id).where(Incident.status == "open"))
            ),
            "assignees": dict(
                session.execute(
                    select(HumanTask.id, HumanTask.assignee).where(HumanTask.status == "open")
                ).all()
            ),
            "events": session.scalar(select(func.count()).select_from(InstanceEvent)),
            "audit": session.scalar(select(func.count()).select_from(AuditLog)),
        }


def audits(db: Database, action: str | None = None) -> list[AuditLog]:
    with db.session() as session:
        query = select(AuditLog).order_by(AuditLog.id)
        if action:
            query = query.where(AuditLog.action == action)
        return list(session.scalars(query))


def processings(db: Database) -> list[ProcessingLog]:
    with db.session() as session:
        return list(session.scalars(select(ProcessingLog).order_by(ProcessingLog.id)))

"""A seeded world for case and task tests: the inbox fixture process in Weert, with a
corporation that reports, the Weert social team that works the cases (two workers and a
team lead), and a social team of another municipality that has no part in them."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import func, select

from app import clock
from app.auth.tokens import create_token
from app.cases.models import Document
from app.db import Database
from app.engine.models import HumanTask, ProcessInstance
from app.intake.service import prepare, receive
from app.privacy.models import AuditLog, ProcessingLog
from tests.support.engine import FIXTURES, deploy_paths
from tests.support.orgs import bind, organisation, partner, user

PROCESS = "test_inbox"


def signal(n: int, months: int = 2, name: str | None = None) -> dict[str, str]:
    return {
        "referentie": f"WL-{n:06d}",
        "naam": name or f"Familie Jansen-{n}",
        "geboortedatum": "1980-05-01",
        "straat": "Dorpsstraat",
        "huisnummer": str(n),
        "postcode": "6001 AB",
        "woonplaats": "Weert",
        "telefoon": "0612345678",
        "maanden_achterstand": str(months),
    }


@dataclass
class World:
    tasks: list[HumanTask]  # the open tasks, one per case, in the order of the signals
    keys: dict[str, str]  # instance id -> business key

    @property
    def task(self) -> HumanTask:
        return self.tasks[0]

    @property
    def case(self) -> str:
        return self.tasks[0].instance_id


def seed(
    db: Database,
    secret_key: str,
    signals: list[dict[str, str]] | None = None,
    diagram: Path | None = None,
) -> World:
    """Users: sanne and samir (Weert social team), tineke (its team lead), marieke (the
    corporation), henk (Haarlem's social team, another organisation). `diagram`: a variant of
    the inbox fixture (with its catalogue beside it)."""
    deploy_paths(db, diagram or FIXTURES / "inbox.bpmn")
    corporation = partner(db, "wonen-limburg", PROCESS)
    organisation(db, "weert-swt", "wijkteam")
    organisation(db, "haarlem-swt", "wijkteam", "haarlem")
    bind(db, PROCESS, "weert", "wijkteam", "weert-swt")
    user(db, "sanne", "weert-swt")
    user(db, "samir", "weert-swt")
    user(db, "tineke", "weert-swt", roles=("behandelaar", "teamleider"))
    user(db, "marieke", "wonen-limburg")
    user(db, "henk", "haarlem-swt")
    rows = signals or [signal(n) for n in range(1, 4)]
    with db.transaction() as session:
        receive(session, prepare(session, corporation, secret_key), list(enumerate(rows)), "api")
    with db.session() as session:
        # In the order of the signals (created at one moment: the reference breaks the tie).
        tasks = session.scalars(
            select(HumanTask)
            .join(ProcessInstance, ProcessInstance.id == HumanTask.instance_id)
            .where(HumanTask.status == "open")
            .order_by(ProcessInstance.data["referentie"].as_string())
        ).all()
        keys = dict(session.execute(select(ProcessInstance.id, ProcessInstance.business_key)).all())
        session.expunge_all()
    return World(list(tasks), keys)


def document(db: Database, instance_id: str, uploaded_by: str, name: str = "brief.pdf") -> int:
    """A document row (the bytes are not needed to list it)."""
    with db.transaction() as session:
        row = Document(
            instance_id=instance_id,
            name=name,
            content_type="application/pdf",
            size=8,
            sha256="ab" * 32,
            category="brief",
            uploaded_by=uploaded_by,
            uploaded_at=clock.now(),
        )
        session.add(row)
        session.flush()
        return row.id


def token(db: Database, org_key: str, scopes: list[str]) -> str:
    from app.auth.models import Organisation

    with db.transaction() as session:
        org = session.scalar(select(Organisation).where(Organisation.key == org_key))
        _row, secret = create_token(session, f"{org_key}-systeem", scopes, organisation_id=org.id)
    return secret


def log_counts(db: Database) -> tuple[int, int]:
    """(processing-log lines, audit-log lines) so far."""
    with db.session() as session:
        return (
            session.scalar(select(func.count()).select_from(ProcessingLog)) or 0,
            session.scalar(select(func.count()).select_from(AuditLog)) or 0,
        )


def audits(db: Database, action: str | None = None) -> list[AuditLog]:
    with db.session() as session:
        query = select(AuditLog).order_by(AuditLog.id)
        if action:
            query = query.where(AuditLog.action == action)
        rows = list(session.scalars(query))
        session.expunge_all()
        return rows


def secret_of(app: Any) -> str:
    return app.extensions["stroom"].settings.secret_key

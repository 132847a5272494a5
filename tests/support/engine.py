"""Helpers for engine tests: deploy fixture diagrams and drive instances."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from app.db import Database
from app.engine import service
from app.engine.deploy import DeployResult, deploy
from app.engine.models import HumanTask, InstanceEvent, ProcessInstance

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"
SIMPLE = FIXTURES / "simple.bpmn"


def simple_xml() -> str:
    return SIMPLE.read_text()


def write_variant(tmp_path: Path, name: str, xml: str, catalogue: str | None = None) -> Path:
    """A changed copy of a fixture diagram, with the fixture's catalogue beside it (renamed
    to the process id the copy declares)."""
    import re

    path = tmp_path / name
    path.write_text(xml)
    if catalogue is None:
        match = re.search(r'<bpmn:process id="([^"]+)"', xml)
        source = {"test_jobs": "jobs", "test_timer": "timer"}.get(
            match.group(1) if match else "", "simple"
        )
        if match and match.group(1).startswith("test_ander"):
            source = "simple"
        catalogue = (FIXTURES / f"{source}.catalogus.yaml").read_text()
        if match:
            catalogue = re.sub(
                r"^proces: .*$", f"proces: {match.group(1)}", catalogue, count=1, flags=re.M
            )
    path.with_name(path.stem + ".catalogus.yaml").write_text(catalogue)
    return path


def deploy_paths(db: Database, *paths: Path) -> DeployResult:
    with db.transaction() as session:
        return deploy(session, list(paths), FIXTURES, actor="test")


def start(
    db: Database,
    key: str = "test_simple",
    business_key: str = "K1",
    data: dict[str, Any] | None = None,
) -> str:
    with db.transaction() as session:
        row = service.start_instance(
            session,
            key,
            business_key=business_key,
            data=data if data is not None else {"bedrag": 21},
            actor="test",
        )
        return row.id


def instance(db: Database, instance_id: str) -> ProcessInstance:
    with db.session() as session:
        row = session.get(
            ProcessInstance, instance_id, options=[selectinload(ProcessInstance.version)]
        )
        assert row is not None
        session.expunge_all()
        return row


def open_tasks(db: Database, instance_id: str) -> list[HumanTask]:
    with db.session() as session:
        rows = session.scalars(
            select(HumanTask).where(
                HumanTask.instance_id == instance_id, HumanTask.status == "open"
            )
        ).all()
        for row in rows:
            session.expunge(row)
        return list(rows)


def history(db: Database, instance_id: str) -> list[InstanceEvent]:
    with db.session() as session:
        rows = session.scalars(
            select(InstanceEvent)
            .where(InstanceEvent.instance_id == instance_id)
            .order_by(InstanceEvent.id)
        ).all()
        for row in rows:
            session.expunge(row)
        return list(rows)


def kinds(db: Database, instance_id: str) -> list[str]:
    return [e.kind for e in history(db, instance_id)]


ROOT = FIXTURES.parent.parent


def deploy_process(db: Database, key: str) -> DeployResult:
    """Deploy bpmn/<key>.bpmn with the product's forms."""
    with db.transaction() as session:
        return deploy(session, [ROOT / "bpmn" / f"{key}.bpmn"], ROOT / "forms", actor="test")


def catalogue_field(
    description: str,
    kind: str,
    example: object,
    category: str = "proces",
    writable: bool = False,
) -> str:
    """One field of an inline test catalogue (YAML flow style), read (and written) by the
    party `behandelaar`."""
    rights = "lezen: {behandelaar: '*'}" + (", schrijven: {behandelaar: '*'}" if writable else "")
    return (
        f"{{omschrijving: {description}, categorie: {category}, type: {kind}, doel: test, "
        f"grondslag: publieke_taak, bewaartermijn: P1M, voorbeeld: {example}, {rights}}}"
    )

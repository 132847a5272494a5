"""Retention: a finished case keeps each field only for its catalogue's `bewaartermijn`,
counted from the end of the case; then the worker (or `stroom bewaartermijnen`) removes it
everywhere it was kept, and records which fields went."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import select

from app.cli import main
from app.engine import service
from app.engine.jobs import run_due_jobs
from app.engine.models import Job
from app.privacy import retention
from app.privacy.retention import add_duration
from tests.support.engine import (
    FIXTURES,
    SIMPLE,
    deploy_paths,
    history,
    instance,
    open_tasks,
    start,
    write_variant,
)


@pytest.mark.parametrize(
    ("moment", "duration", "expected"),
    [
        ("2026-03-02T09:00", "P6M", "2026-09-02T09:00"),
        ("2026-08-31T09:00", "P6M", "2027-02-28T09:00"),
        ("2027-08-31T09:00", "P6M", "2028-02-29T09:00"),
        ("2026-03-02T09:00", "P2Y", "2028-03-02T09:00"),
        ("2026-03-02T09:00", "P1Y6M", "2027-09-02T09:00"),
        ("2026-03-02T09:00", "P2W", "2026-03-16T09:00"),
        ("2026-12-15T09:00", "P1M20D", "2027-02-04T09:00"),
    ],
)
def test_adding_a_retention_period(moment: str, duration: str, expected: str) -> None:
    start_at = datetime.fromisoformat(moment).replace(tzinfo=UTC)
    assert add_duration(start_at, duration) == datetime.fromisoformat(expected).replace(tzinfo=UTC)


@pytest.mark.parametrize("bad", ["", "6M", "P", "PT5H", "zes maanden"])
def test_a_bad_period_is_an_error(bad: str) -> None:
    with pytest.raises(ValueError, match="bewaartermijn"):
        add_duration(datetime(2026, 3, 2, tzinfo=UTC), bad)


@pytest.fixture
def finished(db, clock, settings, tmp_path: Path):
    """A test case that ended on Monday 2 March 2026; `akkoord` is kept two years, the
    amounts six months."""
    catalogue = (FIXTURES / "simple.catalogus.yaml").read_text()
    marker = "    omschrijving: Beoordeling akkoord\n"
    at = catalogue.index(marker)
    end = catalogue.index("bewaartermijn: P6M", at)
    catalogue = (
        catalogue[:end] + "bewaartermijn: P2Y" + catalogue[end + len("bewaartermijn: P6M") :]
    )
    path = write_variant(tmp_path, "simple.bpmn", SIMPLE.read_text(), catalogue)
    deploy_paths(db, path)
    instance_id = start(db, "test_simple", "R-1", {"bedrag": 850})
    run_due_jobs(db, settings, "w")
    [task] = open_tasks(db, instance_id)
    with db.transaction() as session:
        service.complete_task(session, task.id, {"akkoord": False}, "anna")
    row = instance(db, instance_id)
    assert row.status == "completed" and row.data["bedrag"] == 850
    return instance_id


def test_fields_go_when_their_period_ends_and_the_case_keeps_the_rest(db, clock, finished):
    ended = instance(db, finished).ended_at
    assert instance(db, finished).data_expires_at == add_duration(ended, "P6M")

    clock.set(add_duration(ended, "P6M") - timedelta(minutes=1))
    assert retention.apply(db) == []

    clock.set(add_duration(ended, "P6M"))
    [result] = retention.apply(db)
    assert set(result.fields) >= {"bedrag", "verdubbeld"} and not result.everything
    assert "akkoord" not in result.fields
    row = instance(db, finished)
    assert "bedrag" not in row.data and "verdubbeld" not in row.data
    assert row.data["akkoord"] is False
    assert '"bedrag"' not in row.state and '"verdubbeld"' not in row.state
    assert '"akkoord"' in row.state
    with db.session() as session:
        assert all(job.inputs == {} for job in session.scalars(select(Job)))
    assert row.data_expires_at == add_duration(ended, "P2Y")
    [event] = [e for e in history(db, finished) if e.kind == "bewaartermijn_verstreken"]
    assert "bedrag" in event.details["gewist"] and "850" not in str(event.details)

    assert retention.apply(db) == []  # nothing more is due yet

    clock.set(add_duration(ended, "P2Y"))
    [last] = retention.apply(db)
    assert last.everything and "akkoord" in last.fields
    row = instance(db, finished)
    assert row.data == {} and row.data_expires_at is None
    assert '"akkoord"' not in row.state
    clock.set(add_duration(ended, "P5Y"))
    assert retention.apply(db) == []


def test_a_running_case_keeps_everything(db, clock, settings, tmp_path: Path):
    deploy_paths(db, SIMPLE)
    instance_id = start(db, "test_simple", "R-2", {"bedrag": 850})
    run_due_jobs(db, settings, "w")
    clock.set(datetime(2036, 1, 1, tzinfo=UTC))
    assert retention.apply(db) == []
    row = instance(db, instance_id)
    assert row.data["bedrag"] == 850 and row.data_expires_at is None


def test_a_cancelled_case_counts_from_its_cancellation(db, clock, settings):
    deploy_paths(db, SIMPLE)
    instance_id = start(db, "test_simple", "R-3", {"bedrag": 850})
    with db.transaction() as session:
        service.cancel_instance(session, instance_id, "beheerder", "dubbel gemeld")
    row = instance(db, instance_id)
    assert row.data_expires_at == add_duration(row.ended_at, "P6M")


def test_the_command_line_dry_run_changes_nothing(db, clock, finished):
    ended = instance(db, finished).ended_at
    clock.set(add_duration(ended, "P6M") + timedelta(days=1))
    runner = CliRunner()
    dry = runner.invoke(main, ["--database", db.url, "retention", "--dry-run"])
    assert dry.exit_code == 0, dry.output
    assert "R-1: zou wissen:" in dry.output and "bedrag" in dry.output
    assert instance(db, finished).data["bedrag"] == 850
    done = runner.invoke(main, ["--database", db.url, "retention", "--json"])
    assert done.exit_code == 0, done.output
    assert '"kenmerk": "R-1"' in done.output
    assert "bedrag" not in instance(db, finished).data


# -- the case's history (issue 22) -----------------------------------------------------------


def test_the_history_loses_its_details_with_the_last_field_audited(db, clock, finished):
    from app.privacy.models import AuditLog

    ended = instance(db, finished).ended_at
    from app.engine.models import InstanceEvent

    with db.transaction() as session:  # an operator's reason that quotes the resident
        session.add(
            InstanceEvent(
                instance_id=finished,
                at=ended,
                kind="instance_cancelled",
                actor="user:bea",
                details={"reden": "Mevrouw Jansen belde"},
            )
        )
    clock.set(add_duration(ended, "P6M"))
    retention.apply(db)
    assert any("Mevrouw Jansen" in str(e.details) for e in history(db, finished))

    clock.set(add_duration(ended, "P2Y"))
    [last] = retention.apply(db)
    assert last.everything and last.history_lines > 0
    events = history(db, finished)
    assert not any("Jansen" in str(e.details) or "850" in str(e.details) for e in events)
    kinds = [e.kind for e in events]
    assert "instance_started" in kinds and kinds[-1] == "geschiedenis_gewist"  # what, not how
    with db.session() as session:
        [line] = session.scalars(
            select(AuditLog).where(AuditLog.action == "privacy.geschiedenis_wissen")
        ).all()
    assert line.object_id == finished and line.details == {"regels": last.history_lines}
    assert retention.apply(db) == []


def test_a_history_period_of_its_own_outlives_the_fields(db, clock, settings, tmp_path: Path):
    catalogue = (FIXTURES / "simple.catalogus.yaml").read_text() + (
        "geschiedenis: {bewaartermijn: P7Y, omschrijving: verantwoording van besluiten}\n"
    )
    deploy_paths(db, write_variant(tmp_path, "simple.bpmn", SIMPLE.read_text(), catalogue))
    instance_id = start(db, "test_simple", "R-7", {"bedrag": 850})
    with db.transaction() as session:
        service.cancel_instance(session, instance_id, "beheerder", "dubbel gemeld door Jansen")
    ended = instance(db, instance_id).ended_at
    clock.set(add_duration(ended, "P6M"))
    [result] = retention.apply(db)
    assert result.everything and result.history_lines == 0
    assert instance(db, instance_id).data_expires_at == add_duration(ended, "P7Y")
    assert any("Jansen" in str(e.details) for e in history(db, instance_id))
    clock.set(add_duration(ended, "P7Y"))
    [later] = retention.apply(db)
    assert later.history_lines > 0
    assert not any("Jansen" in str(e.details) for e in history(db, instance_id))
    assert instance(db, instance_id).data_expires_at is None


@pytest.mark.parametrize(
    ("section", "problem"),
    [
        ("geschiedenis: {bewaartermijn: zeven jaar}\n", "'geschiedenis' heeft een 'bewaartermijn'"),
        ("geschiedenis: P7Y\n", "'geschiedenis' heeft een 'bewaartermijn'"),
    ],
)
def test_a_wrong_history_period_is_refused_at_deploy(db, tmp_path: Path, section, problem):
    from app.engine.errors import DeploymentError

    catalogue = (FIXTURES / "simple.catalogus.yaml").read_text() + section
    path = write_variant(tmp_path, "simple.bpmn", SIMPLE.read_text(), catalogue)
    with pytest.raises(DeploymentError, match=problem):
        deploy_paths(db, path)


def test_a_wrong_field_period_is_refused_at_deploy(db, tmp_path: Path):
    from app.engine.errors import DeploymentError

    catalogue = (FIXTURES / "simple.catalogus.yaml").read_text()
    catalogue = catalogue.replace("bewaartermijn: P6M", "bewaartermijn: zes maanden", 1)
    path = write_variant(tmp_path, "simple.bpmn", SIMPLE.read_text(), catalogue)
    with pytest.raises(DeploymentError, match="geen duur zoals P6M"):
        deploy_paths(db, path)

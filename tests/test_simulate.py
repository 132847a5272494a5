"""`stroom simulate`: a scenario file played on a virtual clock, with its timeline."""

from __future__ import annotations

import pytest
from click.testing import CliRunner
from sqlalchemy import func

from app.cli import main
from tests.support.engine import FIXTURES


def test_simulate_prints_the_timeline_and_checks_expectations() -> None:
    result = CliRunner().invoke(
        main, ["simulate", str(FIXTURES / "simple.scenario.yaml")], catch_exceptions=False
    )
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0].startswith("# Testproces")
    # Amsterdam local times; B's term (P5D from its 10:00 assessment) runs out on 7 March.
    assert any(
        line.startswith("2026-03-02 09:00  A") and "instance_started" in line for line in lines
    )
    fired = [line for line in lines if "timer_fired" in line]
    assert len(fired) == 1 and fired[0].startswith("2026-03-07 10:00  B")
    assert any(
        "message_received" in line and line.startswith("2026-03-04 10:00  A") for line in lines
    )
    assert "instanties completed: 2" in lines
    assert "geëindigd bij einde: 1" in lines and "geëindigd bij einde_termijn: 1" in lines


def test_failed_expectation_exits_nonzero(tmp_path) -> None:
    text = (
        (FIXTURES / "simple.scenario.yaml")
        .read_text()
        .replace("{sleutel: A, status: completed}", "{sleutel: A, status: waiting}")
    )
    scenario = tmp_path / "fout.yaml"
    scenario.write_text(
        text.replace(
            "diagrammen: [simple.bpmn]", f"diagrammen: [{FIXTURES / 'simple.bpmn'}]"
        ).replace("formulieren: .", f"formulieren: {FIXTURES}")
    )
    result = CliRunner().invoke(main, ["simulate", "--quiet", str(scenario)])
    assert result.exit_code == 1
    assert (
        "NIET VOLDAAN" in result.output
        and "status 'completed', verwacht 'waiting'" in result.output
    )


def test_scenario_errors_name_the_step(tmp_path) -> None:
    scenario = tmp_path / "kapot.yaml"
    scenario.write_text(
        f"begin: 2026-03-02T09:00\ndiagrammen: [{FIXTURES / 'simple.bpmn'}]\n"
        f"formulieren: {FIXTURES}\n"
        "stappen:\n  - start: test_simple\n    sleutel: A\n    data: {bedrag: 1}\n"
        "  - voltooi: bestaat_niet\n    sleutel: A\n"
    )
    result = CliRunner().invoke(main, ["simulate", str(scenario)])
    assert result.exit_code == 1
    assert "stap 2" in result.output and "bestaat_niet" in result.output


SCENARIOS = sorted(
    p
    for p in (FIXTURES.parent.parent / "scenarios").glob("*.yaml")
    if not p.stem.endswith("_jaar")  # the simulated year takes a quarter of an hour
)


@pytest.mark.parametrize("scenario", SCENARIOS, ids=[p.stem for p in SCENARIOS])
def test_every_process_scenario_plays_and_meets_its_expectations(scenario) -> None:
    result = CliRunner().invoke(main, ["simulate", "--quiet", str(scenario)])
    assert result.exit_code == 0, result.output[-3000:]
    assert "NIET VOLDAAN" not in result.output


def test_the_demo_shows_every_process_with_cases_in_several_states(
    tmp_path, tmp_path_factory
) -> None:  # type: ignore[no-untyped-def]
    from sqlalchemy import select

    from app.db import Database
    from app.engine.models import ProcessDefinition, ProcessInstance, ProcessVersion
    from tests.support.demo import copy_database, loaded_demo

    # The run's `stroom demo` into a fresh database (loading it checks that it succeeded),
    # loaded once for this test and the every-role walk; a copy of it here.
    copy_database(loaded_demo(tmp_path_factory), tmp_path / "demo.db")
    url = f"sqlite:///{tmp_path / 'demo.db'}"
    db = Database(url)
    try:
        with db.session() as session:
            keys = set(session.scalars(select(ProcessDefinition.key)))
            rows = session.execute(
                select(
                    ProcessInstance.definition_key, ProcessInstance.status, ProcessInstance.phase
                )
            ).all()
            versions = session.scalar(select(func.count()).select_from(ProcessVersion))
        diagrams = {p.stem for p in (FIXTURES.parent.parent / "bpmn").glob("*.bpmn")}
        assert keys == diagrams
        for key in diagrams:
            states = {(status, phase) for k, status, phase in rows if k == key}
            assert len(states) >= 3, (key, states)
        # Idempotent: a second run adds no case and no version.
        again = CliRunner().invoke(main, ["--database", url, "demo"], catch_exceptions=False)
        assert again.exit_code == 0, again.output[-3000:]
        with db.session() as session:
            assert session.scalar(select(func.count()).select_from(ProcessInstance)) == len(rows)
            assert session.scalar(select(func.count()).select_from(ProcessVersion)) == versions
    finally:
        db.dispose()


def test_a_document_step_and_an_unknown_document(tmp_path) -> None:
    head = (
        f"begin: 2026-03-02T09:00\ndiagrammen: [{FIXTURES / 'simple.bpmn'}]\n"
        f"formulieren: {FIXTURES}\nstappen:\n  - start: test_simple\n    sleutel: A\n"
        "    data: {bedrag: 1}\n"
    )
    unknown = tmp_path / "onbekend.yaml"
    unknown.write_text(
        head + "  - bericht: betalingsregeling\n    sleutel: A\n"
        "    data: {termijnen: {document: brief}}\n"
    )
    result = CliRunner().invoke(main, ["simulate", str(unknown)])
    assert result.exit_code == 1 and "stap 2" in result.output and "brief" in result.output
    known = tmp_path / "bekend.yaml"
    known.write_text(
        head + "  - document: brief.pdf\n    sleutel: A\n    als: brief\n    door: anna\n"
    )
    result = CliRunner().invoke(main, ["simulate", str(known)])
    assert result.exit_code == 0, result.output
    assert "A: document brief.pdf toegevoegd door anna" in result.output

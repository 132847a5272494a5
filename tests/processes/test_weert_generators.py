"""The simulation generator of Weert (app/simulation/generators.py): monthly overviews through
the real intake, return overviews before the 10th, the year's figures."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime

import pytest
from sqlalchemy import func, select

from app.clock import AMSTERDAM
from app.engine.models import InstanceStatus, ProcessInstance
from app.intake.models import IntakeRoute, Signal
from app.registers import factory
from app.simulation.generators import GeneratorError, install
from app.simulation.runner import Simulation
from tests.support.engine import deploy_process

KEY = "weert_vroegsignalering"


@pytest.fixture
def registers() -> Iterator[None]:
    """The generator points the embedded registers at its own fictional households."""
    yield
    factory.reset()


def spec(late: float) -> dict:
    return {
        "soort": "weert_vroegsignalering",
        "signalen_tot": "2026-04-01",
        "huishoudens": 40,
        "corporaties": {
            "wonen-limburg": {"naam": "Wonen Limburg", "signalen": 12},
            "st-joseph": {"naam": "Woningstichting St. Joseph", "signalen": 2},
        },
        "retouroverzicht": {"kans_te_laat": late, "werkdagen_te_laat": 2},
        "bezwaar_amw": 0.0,
    }


def test_een_maand_door_de_intake_met_retouroverzicht_op_tijd(
    db, clock, settings, registers
) -> None:
    deploy_process(db, KEY)
    sim = Simulation(db, settings, clock, seed=7)
    generator = install(sim, spec(late=0.0))
    sim.advance_to(datetime(2026, 5, 29, 17, 0, tzinfo=AMSTERDAM))
    with db.session() as session:
        signals = session.scalar(select(func.count()).select_from(Signal))
        cases = session.scalar(
            select(func.count())
            .select_from(ProcessInstance)
            .where(ProcessInstance.definition_key == KEY)
        )
        completed = session.scalar(
            select(func.count())
            .select_from(ProcessInstance)
            .where(ProcessInstance.status == InstanceStatus.COMPLETED.value)
        )
        routes = session.scalars(select(IntakeRoute)).all()
    # One overview per corporation, on Monday 30 March, through the intake.
    assert signals == sum(generator.signals.values()) and signals > 0
    assert cases == completed == signals  # every case ran to one of the four outcomes
    assert {len(r.settings["inningsritme"]) for r in routes} == {1, 6}
    # Both return overviews went out on Thursday 9 April, the last working day before the 10th.
    assert [(o["corp"], o["period"], o["late"]) for o in generator.overviews] == [
        ("wonen-limburg", "2026-03", False),
        ("st-joseph", "2026-03", False),
    ]
    assert all(o["deadline"] == "2026-04-09" for o in generator.overviews)
    report = generator.report()
    assert "retouroverzichten verstuurd: 2, te laat: 0" in report
    assert "casussen met een te late terugkoppeling: 0" in report
    figures = generator.figures
    # Every case took one of the four outcomes of step 5.
    assert sum(figures["uitkomsten"].values()) == cases and figures["nog_lopend"] == 0
    assert set(figures["uitkomsten"]) <= {
        "gesprek_gemeente",
        "ondersteuning_amw",
        "doorverwezen_sdv",
        "niet_benaderd",
    }


def test_te_late_retouroverzichten_worden_geteld(db, clock, settings, registers) -> None:
    deploy_process(db, KEY)
    sim = Simulation(db, settings, clock, seed=7)
    generator = install(sim, spec(late=1.0))
    sim.advance_to(datetime(2026, 4, 20, 17, 0, tzinfo=AMSTERDAM))
    # Sent two working days after the deadline (Thursday 9 April): Friday 10, Monday 13 April.
    assert [o["late"] for o in generator.overviews] == [True, True]
    assert {o["sent"].astimezone(AMSTERDAM).date().isoformat() for o in generator.overviews} == {
        "2026-04-13"
    }
    report = generator.report()
    assert "retouroverzichten verstuurd: 2, te laat: 2" in report
    late_cases = sum(o["rows"] for o in generator.overviews)
    assert f"casussen met een te late terugkoppeling: {late_cases}" in report


def test_onbekende_generator(db, clock, settings) -> None:
    with pytest.raises(GeneratorError, match="onbekende generator"):
        install(Simulation(db, settings, clock), {"soort": "bestaat_niet"})

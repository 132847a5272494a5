"""The consent registry: a form records consent, a diagram tests it, a withdrawal stops the
running conversation at once."""

from __future__ import annotations

from sqlalchemy import select

from app.privacy import consent
from app.privacy.models import Consent
from app.simulation.runner import Simulation
from tests.support.engine import FIXTURES, deploy_paths, kinds

PROCESS = FIXTURES / "toestemming.bpmn"


def _sim(db, settings, clock) -> Simulation:
    deploy_paths(db, PROCESS)
    return Simulation(db, settings, clock)


def test_consent_from_a_form_then_withdrawal_stops_the_conversation(db, settings, clock) -> None:
    sim = _sim(db, settings, clock)
    instance_id = sim.start("test_toestemming", "T-1", parties={"team": "team-a"})
    sim.complete(
        "vragen", "T-1", {"toestemming_gesprek": True, "kanaal_toestemming_gesprek": "schriftelijk"}
    )
    assert sim.open_task("gesprek", "T-1") is not None
    with db.session() as session:
        row = session.scalars(select(Consent)).one()
    assert (row.scope, row.given, row.channel) == ("gesprek", True, "schriftelijk")

    with db.transaction() as session:
        consent.withdraw(
            session, instance_id, "gesprek", withdrawn_by="user:sanne", channel="mondeling"
        )
    instance = sim.instance("T-1")
    assert instance.status == "completed"
    assert "gestopt" in sim.end_events()
    history = kinds(db, instance_id)
    assert history.index("toestemming_ingetrokken") < history.index("message_received")
    assert "task_cancelled" in history  # the conversation task is gone at once


def test_refused_consent_takes_the_other_path(db, settings, clock) -> None:
    sim = _sim(db, settings, clock)
    sim.start("test_toestemming", "T-2", parties={"team": "team-a"})
    sim.complete("vragen", "T-2", {"toestemming_gesprek": False})
    assert sim.end_events() == {"geweigerd": 1}
    with db.session() as session:
        assert session.scalars(select(Consent.given)).all() == [False]

"""A timer the worker could not fire, through the real pages: the stuck list shows its
incident, the repair page says in plain Dutch what is wrong (no trace), a retry while the
cause is still there says it failed again, and after the cause is fixed the retry fires the
timer and the case goes on."""

from __future__ import annotations

import dataclasses
from datetime import timedelta

from sqlalchemy import select, update

from app.engine import failures
from app.engine.models import Incident, ProcessInstance, Timer
from app.engine.timers import drain_timers
from tests.manage.pages import html, text, token
from tests.manage.support import TOEZICHT, Scenario, people
from tests.support.engine import deploy_paths


def test_a_timer_that_could_not_fire_is_repaired_on_its_page(db, clock, settings, login) -> None:
    people(db)
    deploy_paths(db, TOEZICHT)
    scenario = Scenario(db, settings, clock)
    instance_id = scenario.start("test_toezicht", "T-1", {"bedrag": 850})
    scenario.jobs()
    scenario.complete("T-1", "beoordelen", {"akkoord": True})  # waits, with a 14-day timer
    with db.transaction() as session:
        good = session.get(ProcessInstance, instance_id).state
        session.execute(
            update(ProcessInstance).where(ProcessInstance.id == instance_id).values(state="{")
        )
    clock.advance(timedelta(days=30))
    assert drain_timers(db, 10, "timer", dataclasses.replace(settings, job_retries=0)) == 0
    with db.session() as session:
        incident = session.scalars(select(Incident)).one()
    assert incident.kind == failures.FIRING and incident.element_id == "termijn"

    teun = login("teun")
    stuck = text(html(teun.get("/processen/")))
    assert "T-1" in stuck and "Storing" in stuck
    assert "Storing (1)" in stuck and "Timer niet afgegaan (0)" in stuck  # its incident holds it
    url = f"/processen/instanties/{instance_id}/storingen/{incident.id}"
    page = html(teun.get(url))
    seen = text(page)
    assert "Storing bij ‘Termijn verstreken’" in seen
    assert "het systeem kon de zaak niet verder laten gaan" in seen
    assert "Traceback" not in page and 'File "' not in page

    def retry() -> str:
        response = teun.post(
            url + "/herstellen",
            data={"csrf_token": token(html(teun.get(url))), "reden": "toestand hersteld"},
        )
        assert response.status_code == 302
        return text(html(teun.get(response.headers["Location"])))

    assert "mislukte weer" in retry()  # the cause is still there
    with db.session() as session:
        assert session.get(Incident, incident.id).status == "open"

    with db.transaction() as session:  # the cause is fixed
        session.execute(
            update(ProcessInstance).where(ProcessInstance.id == instance_id).values(state=good)
        )
    assert "Hersteld: ‘Termijn verstreken’ is opnieuw uitgevoerd" in retry()
    with db.session() as session:
        row = session.get(ProcessInstance, instance_id)
        assert row.status == "completed"  # the timer fired: `einde_termijn`
        assert session.get(Incident, incident.id).status == "resolved"
        timer = session.scalars(select(Timer).where(Timer.instance_id == instance_id)).one()
        assert timer.status == "done"

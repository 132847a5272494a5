"""The instance page on the scenario's cases, through the real pages: the diagram with where
the case is and where it went, history, timers, jobs; case data only when asked for, and that
read logged; and each action from the page, which needs a reason."""

from __future__ import annotations

from sqlalchemy import select

from app.engine.jobs import run_due_jobs
from app.engine.models import HumanTask, Incident, InstanceEvent, Job, ProcessInstance, Timer
from app.manage import actions, labels
from tests.manage.pages import audits, html, json_script, processings, state, text, token
from tests.support import handlers

REASON_ERROR = "Geef een reden van minstens 5 tekens"


def page_of(client, scenario, key: str, **query):  # type: ignore[no-untyped-def]
    return client.get(f"/processen/instanties/{scenario.ids[key]}", query_string=query)


def test_the_page_shows_diagram_history_timers_and_jobs(db, scenario, login) -> None:
    mia = login("mia")
    response = page_of(mia, scenario, "BERICHT")
    assert response.status_code == 200
    page = html(response)
    seen = text(page)
    instance_id = scenario.ids["BERICHT"]
    with db.session() as session:
        events = session.scalars(
            select(InstanceEvent).where(InstanceEvent.instance_id == instance_id)
        ).all()
        timer = session.scalars(select(Timer).where(Timer.instance_id == instance_id)).one()
    # The diagram: the version's XML, where it waits (the message and its term), the path.
    diagram = json_script(page, "diagram-gegevens")
    assert 'id="test_toezicht"' in diagram["xml"]
    assert diagram["markers"]["current"] == ["termijn", "wachten"]
    assert diagram["markers"]["incidents"] == []
    assert {"gestart", "registreren", "beoordelen", "keuze"} <= set(diagram["markers"]["done"])
    assert {"f1", "f2", "f3", "f4"} <= set(diagram["markers"]["flows"])
    assert "f5" not in diagram["markers"]["flows"]  # the other branch was not taken
    # History: every event, newest first.
    assert f"Geschiedenis ({len(events)} gebeurtenissen)" in seen
    history = seen.split(f"Geschiedenis ({len(events)} gebeurtenissen)", 1)[1]
    for event in events:
        assert labels.event(event.kind) in history
    # Newest first: the wait for the message comes before the start.
    assert history.index("Wacht op bericht") < history.index(labels.event("instance_started"))
    # The timer with its due moment (14 days after Monday 2 March), the awaited message.
    assert timer.element_id == "termijn" and timer.status == "waiting"
    assert "Timers (1)" in seen and "Termijn verstreken" in seen and "ma 16 mrt 2026" in seen
    assert "Berichten (1)" in seen and "betalingsregeling" in seen
    assert "Systeemtaken (1)" in seen  # the register call, done

    failing = html(page_of(mia, scenario, "STORING"))
    with db.session() as session:
        job = session.scalars(select(Job).where(Job.instance_id == scenario.ids["STORING"])).one()
    seen = text(failing)
    assert job.status == "incident" and job.attempts == 4
    assert json_script(failing, "diagram-gegevens")["markers"]["incidents"] == ["register"]
    assert "Systeemtaken (1)" in seen and "test.flaky" in seen
    assert "register tijdelijk onbereikbaar" in seen
    numeric = '<td class="utrecht-table__cell utrecht-table__cell--numeric-column">'
    assert f"{numeric}{job.attempts}</td>" in failing  # the attempts, in the jobs table
    assert "Storingen (1)" in seen and "Storing bij ‘Register raadplegen’ opnieuw proberen" in seen


def test_case_data_only_on_request_and_logged(db, scenario, login) -> None:
    mia = login("mia")
    plain = html(page_of(mia, scenario, "TE-LAAT"))
    assert "Casusgegevens tonen" in plain
    assert "Bedrag van de achterstand" not in plain  # the field's label: no data shown
    assert processings(db) == [] and audits(db, "casus.lezen") == []

    shown = text(html(page_of(mia, scenario, "TE-LAAT", gegevens=1)))
    assert "Bedrag van de achterstand" in shown and "850" in shown
    assert "Het inzien is vastgelegd in het verwerkingenlogboek" in shown
    [processing] = processings(db)
    assert processing.name == "casusgegevens inzien"
    assert processing.attributes["doel"].startswith("procesbewaking")
    [read] = audits(db, "casus.lezen")
    assert read.actor == "user:mia" and read.object_id == scenario.ids["TE-LAAT"]
    assert "bedrag" in read.details["velden"]

    # The operator repairs without case data: no button, and asking shows and logs nothing.
    operator = html(page_of(login("olaf"), scenario, "TE-LAAT", gegevens=1))
    assert "U ziet geen casusgegevens" in operator
    assert "Bedrag van de achterstand" not in operator
    assert len(processings(db)) == 1
    # Another organisation's manager does not learn the case exists.
    assert page_of(login("rob"), scenario, "TE-LAAT").status_code == 404


def post_action(client, scenario, key: str, path: str, data: dict):  # type: ignore[no-untyped-def]
    page = html(page_of(client, scenario, key))
    return client.post(path, data={"csrf_token": token(page), **data})


def refused_without_reason(db, client, scenario, key, path, data, field_id):  # type: ignore[no-untyped-def]
    """Posting the action with no reason, and with one too short: 422, the error names the
    reason field (linked from the summary), and nothing changed."""
    before = state(db)
    for reason in ("", "  ok "):
        response = post_action(client, scenario, key, path, {**data, "reden": reason})
        assert response.status_code == 422
        page = html(response)
        assert REASON_ERROR in page
        assert f'href="#{field_id}"' in page  # the error summary links to the field
        assert f'id="{field_id}"' in page and "utrecht-textarea--invalid" in page
        assert "<title>Fout: " in page
    assert state(db) == before


def test_retry_from_the_page_needs_a_reason(db, scenario, login) -> None:
    mia = login("mia")
    instance_id = scenario.ids["STORING"]
    with db.session() as session:
        incident = session.scalars(
            select(Incident).where(Incident.instance_id == instance_id)
        ).one()
    path = f"/processen/instanties/{instance_id}/storingen/{incident.id}/opnieuw"
    refused_without_reason(db, mia, scenario, "STORING", path, {}, f"reden-storing-{incident.id}")

    handlers.FAILURES["STORING"] = 0  # the registry is back
    response = post_action(mia, scenario, "STORING", path, {"reden": "register weer bereikbaar"})
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/processen/instanties/{instance_id}")
    assert run_due_jobs(db, scenario.settings, "test") == 1
    with db.session() as session:
        assert session.get(Incident, incident.id).status == "resolved"
        assert session.get(ProcessInstance, instance_id).status == "waiting"
    [entry] = audits(db, actions.AUDIT["opnieuw"])
    assert entry.result == "gelukt" and entry.actor == "user:mia"
    assert entry.details["reden"] == "register weer bereikbaar"
    assert entry.details["storing"] == incident.id
    assert "Storing opgelost" in text(html(page_of(mia, scenario, "STORING")))


def test_suspend_resume_and_cancel_from_the_page_need_a_reason(db, scenario, login) -> None:
    mia = login("mia")
    stil = scenario.ids["STIL"]
    path = f"/processen/instanties/{stil}/status"
    for action in ("opschorten", "afbreken"):
        refused_without_reason(db, mia, scenario, "STIL", path, {"actie": action}, "reden-status")

    steps = [
        ("opschorten", "wacht op de bewindvoerder", "suspended", "instance_suspended"),
        ("hervatten", "bewindvoerder heeft gebeld", "waiting", "instance_resumed"),
        ("afbreken", "huurder is verhuisd", "cancelled", "instance_cancelled"),
    ]
    for action, reason, status, event in steps:
        if action == "hervatten":  # resuming, too, needs its reason
            refused_without_reason(
                db, mia, scenario, "STIL", path, {"actie": action}, "reden-status"
            )
        response = post_action(mia, scenario, "STIL", path, {"actie": action, "reden": reason})
        assert response.status_code == 302, text(html(response))[:300]
        with db.session() as session:
            assert session.get(ProcessInstance, stil).status == status
            [recorded] = session.scalars(
                select(InstanceEvent).where(
                    InstanceEvent.instance_id == stil, InstanceEvent.kind == event
                )
            ).all()
        assert recorded.details["reason"] == reason and recorded.actor == "user:mia"
        [entry] = audits(db, actions.AUDIT[action])
        assert entry.object_id == stil and entry.details["reden"] == reason
    # Nothing else was touched.
    others = {k: v for k, v in state(db)["status"].items() if v != "cancelled"}
    assert stil not in others and len(others) == len(scenario.ids) - 1
    # An ended case offers no more actions.
    assert 'action="/processen/instanties/' + stil + '/status"' not in html(
        page_of(mia, scenario, "STIL")
    )


def test_reassign_from_the_page_needs_a_reason(db, scenario, login) -> None:
    mia = login("mia")
    with db.session() as session:
        task = session.scalars(
            select(HumanTask).where(HumanTask.instance_id == scenario.ids["TE-LAAT"])
        ).one()
    page = html(page_of(mia, scenario, "TE-LAAT"))
    assert "Taak ‘Beoordelen’ aan iemand anders geven" in page
    assert '<option value="bea">Bea</option>' in page  # a member of the task's team
    path = f"/processen/taken/{task.id}/toewijzen"
    refused_without_reason(
        db, mia, scenario, "TE-LAAT", path, {"toewijzen": "bea"}, f"reden-taak-{task.id}"
    )
    response = post_action(
        mia, scenario, "TE-LAAT", path, {"toewijzen": "bea", "reden": "bob is met verlof"}
    )
    assert response.status_code == 302
    with db.session() as session:
        assert session.get(HumanTask, task.id).assignee == "bea"
    [entry] = audits(db, actions.AUDIT["toewijzen"])
    assert entry.object_type == "taak" and entry.object_id == task.id
    assert entry.details == {
        "reden": "bob is met verlof",
        "procesinstantie": scenario.ids["TE-LAAT"],
        "taak": task.id,
        "was": None,
        "wordt": "bea",
    }
    # Someone outside the task's teams cannot be chosen; nothing changes.
    before = state(db)
    response = post_action(
        mia, scenario, "TE-LAAT", path, {"toewijzen": "rob", "reden": "naar roermond"}
    )
    assert response.status_code == 409
    assert "Kies iemand uit een team van deze taak." in html(response)
    assert state(db)["assignees"] == before["assignees"]
    # The operator repairs, but does not hand out work.
    operator = login("olaf")
    assert "aan iemand anders geven" not in html(page_of(operator, scenario, "TE-LAAT"))
    assert (
        post_action(
            operator, scenario, "TE-LAAT", path, {"toewijzen": "bob", "reden": "mag niet"}
        ).status_code
        == 403
    )

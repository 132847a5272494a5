"""Bulk actions through the real pages: the dry run lists exactly the instances the run
touches, the run touches exactly those, each with its reason in the audit log; a plan runs
once; without a reason nothing happens."""

from __future__ import annotations

import re

from sqlalchemy import select

from app.engine.jobs import run_due_jobs
from app.engine.models import Incident, ProcessInstance
from app.manage import actions
from tests.manage.pages import audits, html, rows_with, state, text, token
from tests.support import handlers


def plan(client, data: dict, page: str = "/processen/"):  # type: ignore[no-untyped-def]
    """Post a dry run from a page; (response, the plan's token or None)."""
    response = client.post(
        "/processen/bulk", data={"csrf_token": token(html(client.get(page))), **data}
    )
    match = re.search(r'name="plan" value="([^"]+)"', html(response))
    return response, match.group(1) if match else None


def run(client, plan_token: str, reason: str):  # type: ignore[no-untyped-def]
    return client.post(
        "/processen/bulk/uitvoeren",
        data={
            "csrf_token": token(html(client.get("/processen/"))),
            "plan": plan_token,
            "reden": reason,
            "terug": "/processen/",
        },
    )


def statuses(db) -> dict[str, str]:  # type: ignore[no-untyped-def]
    with db.session() as session:
        return dict(session.execute(select(ProcessInstance.id, ProcessInstance.status)).all())


def test_dry_run_lists_exactly_what_the_run_touches(db, scenario, login) -> None:
    mia = login("mia")
    ids = scenario.ids
    # Chosen on the stuck list: every case on it, plus one of another organisation (as if
    # posted by hand) and one already suspended.
    listed = re.findall(r'name="instantie" value="([^"]+)"', html(mia.get("/processen/")))
    assert set(listed) == {ids[k] for k in ("STORING", "TE-LAAT", "RISICO", "BERICHT", "STIL")}
    mia.post(
        f"/processen/instanties/{ids['STIL']}/status",
        data={
            "csrf_token": token(html(mia.get("/processen/"))),
            "actie": "opschorten",
            "reden": "al eerder opgeschort",
        },
    )
    chosen = [*listed, ids["ANDERS"]]
    before = statuses(db)
    response, plan_token = plan(mia, {"actie": "opschorten", "instantie": chosen})
    assert response.status_code == 200
    page = html(response)
    will_touch = rows_with(page, "instantie")
    expected = [ids[k] for k in ("STORING", "TE-LAAT", "RISICO", "BERICHT")]
    assert sorted(will_touch) == sorted(expected)
    assert "Deze handeling raakt precies de 4 zaken hieronder" in text(page)
    assert "is al opgeschort" in text(page)  # STIL, left alone and saying why
    assert "ANDERS" not in page  # another organisation's case: not even mentioned
    assert statuses(db) == before  # a dry run changes nothing

    response = run(mia, plan_token, "gemeente onderzoekt de werkwijze")
    assert response.status_code == 200
    assert "Opschorten: 4 van 4 zaken gelukt." in text(html(response))
    after = statuses(db)
    touched = {i for i in after if after[i] != before[i]}
    assert touched == set(will_touch)
    assert all(after[i] == "suspended" for i in touched)

    # The audit log: one line per instance, with the reason and the plan's id, and one for
    # the run itself, with the reason and exactly the instances of the dry run.
    lines = audits(db, actions.AUDIT["opschorten"])
    bulk = [line for line in lines if "bulk" in line.details]
    assert sorted(line.object_id for line in bulk) == sorted(will_touch)
    assert {line.details["reden"] for line in bulk} == {"gemeente onderzoekt de werkwijze"}
    assert {line.result for line in bulk} == {"gelukt"}
    [claim] = audits(db, actions.PLAN_AUDIT)
    assert claim.object_type == "bulkactie" and claim.object_id == bulk[0].details["bulk"]
    assert claim.actor == "user:mia"
    assert claim.details == {
        "actie": "opschorten",
        "reden": "gemeente onderzoekt de werkwijze",
        "procesinstanties": will_touch,
    }


def test_a_plan_runs_once(db, scenario, login) -> None:
    mia = login("mia")
    ids = scenario.ids
    _response, plan_token = plan(mia, {"actie": "opschorten", "instantie": [ids["TE-LAAT"]]})
    assert run(mia, plan_token, "eerst even uitzoeken").status_code == 200
    # Resumed by hand; then the same plan is sent again (the form resent, or a copy).
    mia.post(
        f"/processen/instanties/{ids['TE-LAAT']}/status",
        data={
            "csrf_token": token(html(mia.get("/processen/"))),
            "actie": "hervatten",
            "reden": "uitgezocht, gaat verder",
        },
    )
    before = state(db)
    again = run(mia, plan_token, "eerst even uitzoeken")
    assert again.status_code == 302
    page = text(html(mia.get(again.headers["Location"])))
    assert "Dit voorstel is al uitgevoerd; een voorstel werkt maar één keer." in page
    assert state(db) == before
    assert statuses(db)[ids["TE-LAAT"]] == "waiting"
    assert len(audits(db, actions.PLAN_AUDIT)) == 1


def test_without_a_reason_nothing_happens_and_the_plan_stays_usable(db, scenario, login) -> None:
    mia = login("mia")
    ids = scenario.ids
    _response, plan_token = plan(
        mia, {"actie": "afbreken", "instantie": [ids["STIL"], ids["BERICHT"]]}
    )
    before = state(db)
    for reason in ("", "kort"):
        response = run(mia, plan_token, reason)
        assert response.status_code == 422
        page = html(response)
        assert "Geef een reden van minstens 5 tekens" in page
        assert 'href="#reden-bulk"' in page and 'id="reden-bulk"' in page
        assert sorted(rows_with(page, "instantie")) == sorted([ids["STIL"], ids["BERICHT"]])
    assert state(db) == before
    assert run(mia, plan_token, "dubbel gemeld door corporatie").status_code == 200
    assert {statuses(db)[ids[k]] for k in ("STIL", "BERICHT")} == {"cancelled"}


def test_someone_else_cannot_run_my_plan(db, scenario, login) -> None:
    _response, plan_token = plan(
        login("mia"), {"actie": "opschorten", "instantie": [scenario.ids["STIL"]]}
    )
    teun = login("teun")
    before = state(db)
    response = run(teun, plan_token, "ik doe het wel even")
    assert response.status_code == 302
    page = text(html(teun.get(response.headers["Location"])))
    assert "Dit voorstel is door iemand anders gemaakt; maak een eigen." in page
    assert state(db) == before


def test_bulk_retry_of_an_incident_group(db, scenario, login) -> None:
    # Two more failing cases: one of Weert, one of Roermond.
    handlers.FAILURES["STORING-2"] = -1
    handlers.FAILURES["STORING-R"] = -1
    scenario.start("test_jobs", "STORING-2", {"deler": 2})
    scenario.start("test_jobs", "STORING-R", {"deler": 2}, group="roermond-sdv")
    scenario.jobs(rounds=1 + scenario.settings.job_retries)
    ids = scenario.ids
    mia = login("mia")
    incidents_page = html(mia.get("/processen/storingen"))
    assert ">2</td>" in incidents_page  # Weert's group: two, not three
    form = dict(
        re.findall(
            r'<input type="hidden" name="(groep_\w+|actie|terug)" value="([^"]*)">',
            incidents_page,
        )
    )
    response, plan_token = plan(mia, form, page="/processen/storingen")
    will_touch = rows_with(html(response), "instantie")
    assert sorted(will_touch) == sorted([ids["STORING"], ids["STORING-2"]])
    with db.session() as session:
        open_before = dict(
            session.execute(
                select(Incident.id, Incident.instance_id).where(Incident.status == "open")
            ).all()
        )
    assert len(open_before) == 3

    handlers.FAILURES["STORING"] = handlers.FAILURES["STORING-2"] = 0  # the registry is back
    response = run(mia, plan_token, "register weer bereikbaar na storing")
    assert "Storingen opnieuw proberen: 2 van 2 zaken gelukt." in text(html(response))
    assert run_due_jobs(db, scenario.settings, "test") == 2
    with db.session() as session:
        still_open = session.scalars(
            select(Incident.instance_id).where(Incident.status == "open")
        ).all()
        assert still_open == [ids["STORING-R"]]
        assert session.get(ProcessInstance, ids["STORING"]).status == "waiting"
    lines = audits(db, actions.AUDIT["opnieuw"])
    assert sorted(line.object_id for line in lines) == sorted(will_touch)
    assert {line.details["storing"] for line in lines} == {
        i for i, instance in open_before.items() if instance in will_touch
    }
    assert {line.details["reden"] for line in lines} == {"register weer bereikbaar na storing"}

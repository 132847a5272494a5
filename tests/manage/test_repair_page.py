"""The repair page of one incident (issue 19), through the real pages: what went wrong in
plain Dutch; only the fields the catalogue lets the viewer write, checked by the catalogue's
rules, with a reason; audited and in the processing log; a retry that fails again says so and
keeps its one incident; moving the case with a dry run; who may open it."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from sqlalchemy import select

from app.auth.principal import SYSTEM
from app.cases.service import start_case
from app.engine.models import HumanTask, Incident, InstanceEvent, ProcessInstance
from app.manage import actions
from tests.manage.pages import audits, html, processings, state, text, token
from tests.manage.support import people
from tests.support.engine import deploy_paths

HERSTEL = Path(__file__).resolve().parent / "fixtures" / "herstel.bpmn"


@pytest.fixture
def cases(db, clock):  # type: ignore[no-untyped-def]
    people(db)
    deploy_paths(db, HERSTEL)
    ids = {}
    for key, municipality, group in (
        ("H-1", "weert", "weert-sdv"),  # no `maanden`: the script fails
        ("H-2", "roermond", "roermond-sdv"),
    ):
        with db.transaction() as session:
            row = start_case(
                session,
                SYSTEM,
                "test_herstel",
                business_key=key,
                data={"bedrag": 600},
                municipality=municipality,
                parties={"behandelaar": group},
            )
            ids[key] = row.id
    with db.session() as session:
        incidents = {
            key: session.scalars(select(Incident.id).where(Incident.instance_id == i)).one()
            for key, i in ids.items()
        }
    return ids, incidents


def repair_url(ids, incidents, key: str) -> str:  # type: ignore[no-untyped-def]
    return f"/processen/instanties/{ids[key]}/storingen/{incidents[key]}"


def post(client, page_url: str, action: str, data: dict):  # type: ignore[no-untyped-def]
    page = html(client.get(page_url))
    return client.post(action, data={"csrf_token": token(page), **data})


def open_elements(db, instance_id: str) -> list[str]:
    with db.session() as session:
        return sorted(
            session.scalars(
                select(HumanTask.element_id).where(
                    HumanTask.instance_id == instance_id, HumanTask.status == "open"
                )
            )
        )


def test_the_page_explains_in_plain_dutch_and_offers_what_the_viewer_may_write(
    db, cases, login
) -> None:
    ids, incidents = cases
    page = html(login("teun").get(repair_url(ids, incidents, "H-1")))
    seen = text(page)
    assert "Storing bij ‘Maandbedrag berekenen’" in seen
    assert "Een gegeven dat deze stap gebruikt is leeg: ‘Aantal maanden van de regeling’." in seen
    # The technical text is there, folded away.
    details = page.split("<details", 1)[1].split("</details>", 1)[0]
    assert "Technische details" in details and "NoneType" in details
    assert "NoneType" not in page.split("<details", 1)[0]
    assert "Wie kan de gegevens aanvullen Behandelaar" in seen
    # `maanden` may be written by the treating party in this phase; `bedrag` not.
    assert 'name="veld-maanden"' in page and 'name="veld-bedrag"' not in page
    assert "De stap gebruikt ook Bedrag van de achterstand; die mag u niet vastleggen." in seen


def test_wrong_values_no_reason_or_fields_not_allowed_are_refused(db, cases, login) -> None:
    ids, incidents = cases
    teun = login("teun")
    url = repair_url(ids, incidents, "H-1")
    action = url + "/herstellen"
    before = state(db)
    for data, problem in (
        ({"veld-maanden": "-3", "reden": "maanden aangevuld"}, "moet minstens 1 zijn"),
        ({"veld-maanden": "drie", "reden": "maanden aangevuld"}, "is geen getal"),
        ({"veld-maanden": "600", "reden": "maanden aangevuld"}, "is te groot (hoogstens 60)"),
        ({"veld-maanden": "6", "reden": ""}, "Geef een reden van minstens 5 tekens"),
        (
            {"veld-bedrag": "1", "reden": "bedrag aangepast"},
            "U mag dit gegeven niet vastleggen in deze zaak.",
        ),
    ):
        response = post(teun, url, action, data)
        assert response.status_code == 422, data
        page = html(response)
        assert problem in text(page) and "<title>Fout: " in page
    assert state(db) == before
    assert processings(db) == []
    # Without the form's token: refused, nothing done.
    response = teun.post(action, data={"veld-maanden": "6", "reden": "maanden aangevuld"})
    assert response.status_code == 400
    assert state(db) == before


def test_a_retry_that_fails_again_says_so_and_keeps_one_incident(db, cases, login) -> None:
    ids, incidents = cases
    teun = login("teun")
    url = repair_url(ids, incidents, "H-1")
    response = post(teun, url, url + "/herstellen", {"reden": "nog eens proberen"})
    assert response.status_code == 302 and response.headers["Location"].endswith(url)
    seen = text(html(teun.get(url)))
    assert "Opnieuw geprobeerd, maar ‘Maandbedrag berekenen’ mislukte weer" in seen
    with db.session() as session:
        rows = session.scalars(select(Incident).where(Incident.instance_id == ids["H-1"])).all()
        assert [(r.id, r.status) for r in rows] == [(incidents["H-1"], "open")]
    [entry] = audits(db, actions.AUDIT["herstellen"])
    assert entry.result == "gelukt" and entry.details["velden"] == []


def test_adding_the_missing_value_repairs_and_is_logged(db, cases, login) -> None:
    ids, incidents = cases
    teun = login("teun")
    url = repair_url(ids, incidents, "H-1")
    reason = "aantal maanden nagevraagd bij de huurder"
    response = post(teun, url, url + "/herstellen", {"veld-maanden": " 6 ", "reden": reason})
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/processen/instanties/{ids['H-1']}")
    assert "Hersteld: ‘Maandbedrag berekenen’ is opnieuw uitgevoerd" in text(
        html(teun.get(response.headers["Location"]))
    )
    assert open_elements(db, ids["H-1"]) == ["bellen", "brief"]
    with db.session() as session:
        row = session.get(ProcessInstance, ids["H-1"])
        assert row.status == "waiting" and row.data["maanden"] == 6
        assert row.data["maandbedrag"] == 100
        assert session.get(Incident, incidents["H-1"]).status == "resolved"
        added = session.scalars(
            select(InstanceEvent).where(
                InstanceEvent.instance_id == ids["H-1"],
                InstanceEvent.kind == "incident_data_added",
            )
        ).one()
        assert added.actor == "user:teun" and added.details["fields"] == ["maanden"]
        assert added.details["reason"] == reason
    # Who (audit), what (fields, never values) and why (the reason), in both logs.
    [entry] = audits(db, actions.AUDIT["herstellen"])
    assert entry.actor == "user:teun" and entry.result == "gelukt"
    assert entry.details["reden"] == reason and entry.details["velden"] == ["maanden"]
    [written] = audits(db, "casus.vastleggen")
    assert written.actor == "user:teun" and written.details["velden"] == ["maanden"]
    [processing] = processings(db)
    assert processing.name == "casusgegevens vastleggen"
    assert reason in processing.attributes["doel"]
    assert 6 not in entry.details.values() and 6 not in written.details.values()
    # Solved: the page says so and offers nothing more.
    page = html(teun.get(url))
    assert "Opgelost" in text(page) and 'name="veld-maanden"' not in page


def test_an_operator_without_a_part_in_the_case_may_retry_but_write_nothing(
    db, cases, login
) -> None:
    ids, incidents = cases
    olaf = login("olaf")
    url = repair_url(ids, incidents, "H-1")
    page = html(olaf.get(url))
    assert 'name="veld-maanden"' not in page
    assert "U mag geen gegevens vastleggen die deze stap gebruikt; dat kan Behandelaar." in text(
        page
    )
    response = post(olaf, url, url + "/herstellen", {"veld-maanden": "6", "reden": "aangevuld"})
    assert response.status_code == 422
    assert "U mag dit gegeven niet vastleggen in deze zaak." in text(html(response))
    with db.session() as session:
        assert session.get(Incident, incidents["H-1"]).status == "open"


def test_who_may_open_the_repair_page(db, cases, login) -> None:
    ids, incidents = cases
    url = repair_url(ids, incidents, "H-1")
    assert login("bob").get(url).status_code == 403  # a case worker: not a monitor
    assert login("rob").get(url).status_code == 404  # a manager of another organisation
    assert (
        login("teun").get(f"/processen/instanties/{ids['H-1']}/storingen/99999").status_code == 404
    )
    # An incident of another case under this case's address: not found.
    assert (
        login("olaf")
        .get(f"/processen/instanties/{ids['H-1']}/storingen/{incidents['H-2']}")
        .status_code
        == 404
    )


def test_the_process_owner_sees_incidents_of_the_processes_they_own(db, cases, login) -> None:
    ids, incidents = cases
    pim = login("pim")  # procesbeheerder of Weert
    listing = pim.get("/processen/storingen")
    assert listing.status_code == 200
    seen = text(html(listing))
    assert "H-1" in seen and "H-2" not in seen  # Roermond's case is not theirs
    assert "Alle opnieuw proberen" not in seen  # bulk actions are for the monitors
    assert 'href="/processen/storingen" aria-current="page">Storingen' in html(listing)
    assert ">Knelpunten</a>" not in html(listing)
    page = pim.get(repair_url(ids, incidents, "H-1"))
    assert page.status_code == 200
    assert 'name="veld-maanden"' not in html(page)  # no party in the case: writes nothing
    instance = pim.get(f"/processen/instanties/{ids['H-1']}")
    assert instance.status_code == 200
    assert "U ziet geen casusgegevens" in text(html(instance))
    assert pim.get(f"/processen/instanties/{ids['H-2']}").status_code == 404
    assert pim.get(repair_url(ids, incidents, "H-2")).status_code == 404


def test_moving_the_case_with_a_dry_run_then_confirmed(db, cases, login) -> None:
    ids, incidents = cases
    teun = login("teun")
    url = repair_url(ids, incidents, "H-1")
    post(teun, url, url + "/herstellen", {"veld-maanden": "6", "reden": "maanden aangevuld"})
    move = f"/processen/instanties/{ids['H-1']}/verplaatsen"
    before = state(db)
    refused = post(teun, move, move, {"stap": "proef", "starten": "huisbezoek", "reden": ""})
    assert refused.status_code == 422
    assert "Kies een of meer stappen waar de zaak nu is." in text(html(refused))
    unknown = post(
        teun, move, move, {"stoppen": "bellen", "starten": "bestaat-niet", "reden": "al gebeld"}
    )
    assert unknown.status_code == 422
    dry = post(
        teun,
        move,
        move,
        {"stap": "proef", "stoppen": "bellen", "starten": "huisbezoek", "reden": "al gebeld"},
    )
    assert dry.status_code == 200
    seen = text(html(dry))
    assert "Stopt Huurder bellen Begint Huisbezoek Blijft zoals het is Brief sturen" in seen
    assert state(db) == before  # a dry run changes nothing
    done = teun.post(
        move,
        data={
            "csrf_token": token(html(dry)),
            "stap": "uitvoeren",
            "stoppen": "bellen",
            "starten": "huisbezoek",
            "reden": "al gebeld",
        },
    )
    assert done.status_code == 302
    assert open_elements(db, ids["H-1"]) == ["brief", "huisbezoek"]
    [entry] = audits(db, actions.AUDIT["verplaatsen"])
    assert entry.actor == "user:teun" and entry.details["reden"] == "al gebeld"
    assert entry.details["gestopt"] == ["bellen"] and entry.details["gestart"] == "huisbezoek"


def test_cancel_from_the_repair_page_needs_a_reason(db, cases, login) -> None:
    ids, incidents = cases
    olaf = login("olaf")
    url = repair_url(ids, incidents, "H-1")
    action = f"/processen/instanties/{ids['H-1']}/status"
    assert post(olaf, url, action, {"actie": "afbreken", "reden": ""}).status_code == 422
    done = post(olaf, url, action, {"actie": "afbreken", "reden": "dubbel gemeld"})
    assert done.status_code == 302
    with db.session() as session:
        assert session.get(ProcessInstance, ids["H-1"]).status == "cancelled"
    [entry] = audits(db, actions.AUDIT["afbreken"])
    assert entry.actor == "user:olaf" and entry.details["reden"] == "dubbel gemeld"


def test_the_case_page_says_what_is_wrong_and_who_can_fix_it(db, cases, login) -> None:
    ids, incidents = cases
    bob = login("bob")  # a case worker of the treating organisation
    page = html(bob.get(f"/zaken/{ids['H-1']}"))
    seen = text(page)
    assert "Status Storing" in seen and "Status error" not in seen
    assert "Deze zaak staat stil door een storing" in seen
    assert (
        "Bij de stap ‘Maandbedrag berekenen’: Een gegeven dat deze stap gebruikt is leeg: "
        "‘Aantal maanden van de regeling’."
    ) in seen
    assert (
        "Wie kan dit oplossen: een teamleider of de beheerder, in Procesbewaking onder "
        "Storingen; de gegevens die de stap nodig heeft kan Behandelaar aanvullen."
    ) in seen
    assert "NoneType" not in page  # the technical text is for the repair page
    assert repair_url(ids, incidents, "H-1") not in page  # bob may not repair
    lead = html(login("teun").get(f"/zaken/{ids['H-1']}"))
    assert f'href="{repair_url(ids, incidents, "H-1")}"' in lead
    # Repaired: the box is gone.
    teun = login("teun")
    url = repair_url(ids, incidents, "H-1")
    post(teun, url, url + "/herstellen", {"veld-maanden": "6", "reden": "maanden aangevuld"})
    assert "staat stil door een storing" not in text(html(bob.get(f"/zaken/{ids['H-1']}")))


def test_the_team_leads_inbox_signals_cases_stopped_by_an_incident(db, cases, login) -> None:
    ids, incidents = cases
    signal = "1 zaak staat stil door een storing (zaken waarin uw organisatie een rol heeft)."
    teun = login("teun")
    page = html(teun.get("/taken"))
    assert signal in text(page) and 'href="/processen/storingen#per-zaak"' in page
    assert signal in text(html(login("rob").get("/taken")))  # Roermond's own case, H-2
    assert "staat stil door een storing" not in text(html(login("bob").get("/taken")))
    url = repair_url(ids, incidents, "H-1")
    post(teun, url, url + "/herstellen", {"veld-maanden": "6", "reden": "maanden aangevuld"})
    assert "stil door een storing" not in text(html(teun.get("/taken")))


def test_a_service_task_retried_from_the_page_that_fails_again_keeps_one_incident(
    db, scenario, login
) -> None:
    """The scenario's STORING case: its register stays down. Retried from the repair page,
    the job runs its retries again and the same incident is open again."""
    instance_id = scenario.ids["STORING"]
    with db.session() as session:
        incident_id = session.scalars(
            select(Incident.id).where(Incident.instance_id == instance_id)
        ).one()
    mia = login("mia")
    url = f"/processen/instanties/{instance_id}/storingen/{incident_id}"
    seen = text(html(mia.get(url)))
    assert "Een koppeling met een ander systeem gaf een fout." in seen
    assert "Als dat systeem weer werkt, kunt u het opnieuw proberen." in seen
    response = post(mia, url, url + "/herstellen", {"reden": "register zou weer werken"})
    assert response.status_code == 302
    assert "De systeemtaak wordt opnieuw uitgevoerd" in text(html(mia.get(url)))
    scenario.jobs(rounds=1 + scenario.settings.job_retries)
    with db.session() as session:
        rows = session.scalars(select(Incident).where(Incident.instance_id == instance_id)).all()
        assert [(r.id, r.status) for r in rows] == [(incident_id, "open")]
        assert session.get(ProcessInstance, instance_id).status == "error"
    assert "Wat is er mis" in text(html(mia.get(url)))


def test_the_plain_retry_on_the_instance_page_says_when_it_failed_again(db, cases, login) -> None:
    ids, incidents = cases
    teun = login("teun")
    page = f"/processen/instanties/{ids['H-1']}"
    action = f"{page}/storingen/{incidents['H-1']}/opnieuw"
    response = post(teun, page, action, {"reden": "nog een keer"})
    assert response.status_code == 302
    assert "Opnieuw geprobeerd, maar de stap mislukte weer." in text(html(teun.get(page)))
    with db.session() as session:
        rows = session.scalars(select(Incident).where(Incident.instance_id == ids["H-1"])).all()
        assert [(r.id, r.status) for r in rows] == [(incidents["H-1"], "open")]


def test_a_bulk_retry_that_fails_again_is_reported_as_failed(db, cases, login) -> None:
    ids, incidents = cases
    olaf = login("olaf")
    page = "/processen/storingen"
    response = olaf.post(
        "/processen/bulk",
        data={
            "csrf_token": token(html(olaf.get(page))),
            "actie": "opnieuw",
            "instantie": [ids["H-1"]],
            "terug": page,
        },
    )
    plan_token = re.search(r'name="plan" value="([^"]+)"', html(response)).group(1)
    result = olaf.post(
        "/processen/bulk/uitvoeren",
        data={
            "csrf_token": token(html(olaf.get(page))),
            "plan": plan_token,
            "reden": "alles nog eens",
            "terug": page,
        },
    )
    seen = text(html(result))
    assert "0 van 1 zaken gelukt" in seen and "Opnieuw geprobeerd, weer mislukt." in seen
    with db.session() as session:
        rows = session.scalars(select(Incident).where(Incident.instance_id == ids["H-1"])).all()
        assert [(r.id, r.status) for r in rows] == [(incidents["H-1"], "open")]

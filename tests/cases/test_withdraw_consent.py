"""Withdrawing a consent on the case page: only a party that may record the consent sees
the form and may post it; a reason is required; the withdrawal reaches the running process
as a message at once and is audited with its reason. Consent records and their evidence are
shown only to the parties that may read the consent field."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from app.privacy.models import Consent
from app.simulation.runner import Simulation
from tests.auth.test_login import csrf, login
from tests.cases.support import audits, document
from tests.support.engine import FIXTURES, kinds, write_variant
from tests.support.orgs import user

CATALOGUE = """\
proces: test_toestemming
verwerkingsactiviteit: test-toestemming
partijen:
  team: {naam: Team}
  corporatie: {naam: Corporatie}
  budget: {naam: Budgetbeheer}
fasen:
  gesprek: [gestart, vragen, gegeven, gesprek, ingetrokken, klaar, gestopt, geweigerd]
toestemmingen:
  gesprek: Toestemming voor het gesprek
velden:
  toestemming_gesprek: {omschrijving: Bewoner geeft toestemming voor het gesprek,
    categorie: toestemming, type: ja_nee, registreert_toestemming: gesprek, doel: gesprek,
    grondslag: toestemming, bewaartermijn: P1Y, voorbeeld: true,
    lezen: {team: "*", corporatie: "*"}, schrijven: {team: "*"}}
  ingetrokken_toestemming: {omschrijving: Ingetrokken toestemming, categorie: toestemming,
    type: tekst, doel: gesprek, grondslag: toestemming, bewaartermijn: P1Y, voorbeeld: gesprek,
    lezen: {team: "*"}}
  referentie: {omschrijving: Referentie, categorie: identificerend, type: tekst, doel: gesprek,
    grondslag: publieke_taak, bewaartermijn: P1Y, voorbeeld: R-1,
    lezen: {team: "*", corporatie: "*", budget: "*"}}
"""
URL = "/zaken/{}/toestemmingen/gesprek/intrekken"


def start_consent_case(db, settings, clock, tmp_path) -> tuple[Simulation, str]:  # type: ignore[no-untyped-def]
    """A conversation under way with written consent recorded by tom of the team (the
    evidence a document of the case); also used by the browser test."""
    from tests.support.engine import deploy_paths

    xml = (FIXTURES / "toestemming.bpmn").read_text()
    deploy_paths(db, write_variant(tmp_path, "toestemming.bpmn", xml, CATALOGUE))
    sim = Simulation(db, settings, clock, through_forms=False)
    instance_id = sim.start(
        "test_toestemming",
        "T-1",
        {"referentie": "R-1"},
        parties={"team": "team-a", "corporatie": "corp-a", "budget": "budget-a"},
        municipality="weert",
    )
    user(db, "tom", "team-a")
    evidence = document(db, instance_id, "user:tom", "toestemmingsformulier.pdf")
    sim.complete(
        "vragen",
        "T-1",
        {"toestemming_gesprek": True, "bewijs_toestemming_gesprek": str(evidence)},
    )
    return sim, instance_id


@pytest.fixture
def case(db, settings, clock, app, tmp_path) -> str:  # type: ignore[no-untyped-def]
    """The team records consent, the corporation may read it, budget management may not."""
    sim, instance_id = start_consent_case(db, settings, clock, tmp_path)
    user(db, "cor", "corp-a")
    user(db, "bea", "budget-a")
    assert sim.open_task("gesprek", "T-1") is not None
    return instance_id


def _client(app, username: str):  # type: ignore[no-untyped-def]
    client = app.test_client()
    assert login(client, username).status_code == 302
    return client


def _consent(db) -> Consent:  # type: ignore[no-untyped-def]
    with db.session() as session:
        row = session.scalars(select(Consent)).one()
        session.expunge(row)
        return row


def test_only_parties_that_may_read_the_consent_field_see_the_record(app, case, db) -> None:
    team = _client(app, "tom").get(f"/zaken/{case}").get_data(as_text=True)
    corporation = _client(app, "cor").get(f"/zaken/{case}").get_data(as_text=True)
    budget = _client(app, "bea").get(f"/zaken/{case}").get_data(as_text=True)

    for page in (team, corporation):
        assert "Toestemming voor het gesprek" in page
        assert "toestemmingsformulier.pdf" in page  # the evidence goes with the record
        assert "toestemming gegeven" in page  # on the timeline
    assert "Toestemming voor het gesprek" not in budget
    assert "toestemmingsformulier.pdf" not in budget
    assert "toestemming gegeven" not in budget
    assert "Geen toestemmingen die u mag zien." in budget

    # The form to withdraw is for the party that records consent.
    assert "Toestemming intrekken" in team
    assert "Toestemming intrekken" not in corporation and "Toestemming intrekken" not in budget
    assert ">tom<" in team and "tom" not in re.sub(r"toestemming", "", corporation.lower())


def test_withdrawal_needs_the_right_party_csrf_and_a_reason(app, case, db) -> None:
    url = URL.format(case)
    # Budget management may not even see the consent: 404; the corporation sees it: 403.
    for username, status in (("bea", 404), ("cor", 403)):
        client = _client(app, username)
        token = csrf(client, "/taken")
        assert (
            client.post(url, data={"csrf_token": token, "reden": "bewoner belde"}).status_code
            == status
        )
    assert [a.result for a in audits(db, "toestemming.intrekken")] == ["geweigerd", "geweigerd"]

    client = _client(app, "tom")
    assert client.post(url, data={"reden": "bewoner belde"}).status_code == 400  # no CSRF
    token = csrf(client, f"/zaken/{case}")
    answer = client.post(url, data={"csrf_token": token, "reden": " ", "kanaal": "mondeling"})
    assert answer.status_code == 302
    page = client.get(answer.headers["Location"]).get_data(as_text=True)
    assert "Geef een reden voor het intrekken" in page
    assert _consent(db).withdrawn_at is None
    assert len(audits(db, "toestemming.intrekken")) == 2


def test_withdrawal_reaches_the_running_process_and_is_audited(app, case, db) -> None:
    client = _client(app, "tom")
    token = csrf(client, f"/zaken/{case}")
    answer = client.post(
        URL.format(case),
        data={
            "csrf_token": token,
            "reden": "Bewoner belde: wil geen gesprek",
            "kanaal": "mondeling",
        },
    )
    assert answer.status_code == 302
    row = _consent(db)
    assert row.withdrawn_at is not None
    assert (row.withdrawn_by, row.withdrawal_channel) == ("user:tom", "mondeling")
    history = kinds(db, case)
    assert history.index("toestemming_ingetrokken") < history.index("message_received")
    assert "task_cancelled" in history and history[-1] == "instance_completed"

    [line] = audits(db, "toestemming.intrekken")
    assert (line.result, line.actor, line.object_id) == ("gelukt", "user:tom", case)
    assert line.details["reden"] == "Bewoner belde: wil geen gesprek"
    assert line.details["toestemming"] == "gesprek"

    page = client.get(f"/zaken/{case}").get_data(as_text=True)
    assert "is ingetrokken" in page and "toestemming ingetrokken" in page
    assert "Toestemming intrekken" not in page  # nothing left to withdraw
    again = client.post(
        URL.format(case), data={"csrf_token": token, "reden": "nogmaals", "kanaal": "mondeling"}
    )
    assert again.status_code == 302
    assert [a.result for a in audits(db, "toestemming.intrekken")] == ["gelukt", "geweigerd"]

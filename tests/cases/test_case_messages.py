"""Messages from the case page: a case that waits for a message its catalogue lets one of the
viewer's parties send (`berichten: {naam: {afzenders: [...]}}`, no data) offers a button for
it; posting it goes through the API's message door and is audited. Shown with Haarlem's
`nu_melden` (art. 3.4: the corporation may report before its task appears)."""

from __future__ import annotations

import pytest

from tests.auth.test_login import csrf, login
from tests.cases.support import audits
from tests.processes.haarlem_preventie_support import Haarlem, setup
from tests.support.orgs import user

BUTTON = "Nu melden bij het Sociaal Wijkteam"


@pytest.fixture
def h(db, settings, clock, app) -> Haarlem:  # type: ignore[no-untyped-def]
    h = setup(db, settings, clock)
    user(db, "cor", "elan-wonen")
    user(db, "sanne", "haarlem-swt")
    h.start("W-1", "el_amrani", deurwaarderdatum="2026-09-01")
    h.do(
        "corporatie",
        "huurder_benaderen",
        "W-1",
        {
            "contact_wijze_corporatie": "brief",
            "huurder_geinformeerd": True,
            "inschatting_corporatie": "alleen_huurachterstand",
            "deurwaarderdatum": "2026-09-01",
        },
    )
    return h


def _client(app, username: str):  # type: ignore[no-untyped-def]
    client = app.test_client()
    assert login(client, username).status_code == 302
    return client


def test_the_sender_gets_a_button_and_reports_the_case(app, h: Haarlem, db) -> None:
    case = h.sim.instance("W-1").id
    url = f"/zaken/{case}/berichten/nu_melden"
    team = _client(app, "sanne")
    assert BUTTON not in team.get(f"/zaken/{case}").get_data(as_text=True)
    # The Sociaal Wijkteam plays a part in the case, but this message is not its to send.
    assert team.post(url, data={"csrf_token": csrf(team, "/taken")}).status_code == 403

    corporation = _client(app, "cor")
    page = corporation.get(f"/zaken/{case}").get_data(as_text=True)
    assert "Berichten aan het proces" in page and BUTTON in page
    # The case also waits for an arrangement (art. 3.4), labelled by the catalogue; not for
    # the bailiff date, which must bring a date (API only).
    assert "Betalingsregeling getroffen" in page
    assert f"/zaken/{case}/berichten/betalingsregeling_getroffen" in page
    assert "/berichten/deurwaarderdatum_gewijzigd" not in page
    assert corporation.post(url, data={}).status_code == 400  # no CSRF token
    answer = corporation.post(url, data={"csrf_token": csrf(corporation, f"/zaken/{case}")})
    assert answer.status_code == 302 and answer.headers["Location"].endswith("#berichten")
    h.sim.settle()
    assert h.data("W-1")["datum_melding"] == "2026-03-02"
    assert h.open_tasks("W-1") == ["contact_opnemen"]
    page = corporation.get(answer.headers["Location"]).get_data(as_text=True)
    assert f"Verstuurd: {BUTTON}." in page
    assert "Berichten aan het proces" not in page  # nothing waits for it any more
    # Once delivered it cannot be sent again.
    again = corporation.post(url, data={"csrf_token": csrf(corporation, f"/zaken/{case}")})
    assert again.status_code == 403
    assert [a.result for a in audits(db, "bericht.sturen")] == [
        "geweigerd",
        "gelukt",
        "geweigerd",
    ]

"""The routes to Weert's return overview, AMW list and objections: the API (/api/v1/weert/...),
the municipality's pages and `stroom weert`, on real cases built through the real intake.

Who sees what: the corporation only its own, sent overview with exactly reference, name,
address and option; another corporation "not found"; AMW and participatie no overviews;
AMW its list (art. 12.3); the municipality both.
"""

from __future__ import annotations

import csv
import io
import re
from datetime import datetime
from typing import Any

import pytest
from click.testing import CliRunner
from openpyxl import load_workbook
from sqlalchemy import select

from app.auth.models import Organisation
from app.auth.tokens import create_token
from app.cli import main
from app.clock import AMSTERDAM
from app.privacy import context, logs
from app.privacy.models import AuditLog, ProcessingLog
from app.tasks import service as tasks
from tests.processes import weert_vroegsignalering_support as s
from tests.support.orgs import PASSWORD, organisation

ADMIN, SDV, PARTICIPATIE, AMW = (
    "weert-administratie",
    "weert-sdv",
    "weert-participatie",
    "amw-midden-limburg",
)
CORPORATION_ROW = {
    "referentie",
    "voorletters",
    "tussenvoegsel",
    "achternaam",
    "straat",
    "huisnummer",
    "huisletter",
    "toevoeging",
    "postcode",
    "woonplaats",
    "optie",
}
AMW_OPTION = "Huurder wordt uitgenodigd door AMW"
NOT_INVITED = "Huurder wordt niet uitgenodigd"
OVERVIEW = "/api/v1/weert/retouroverzichten"


def at(*args: int) -> datetime:
    return datetime(*args, tzinfo=AMSTERDAM)  # type: ignore[misc]


def complete(w: s.Weert, key: str, element: str, org_key: str, data: dict[str, Any]) -> None:
    found = s.task(w, key, element)
    context.begin("test", deferred=True)
    try:
        with w.db.transaction() as session:
            tasks.complete(w.db, session, w.people[org_key], found.id, data, w.settings.secret_key)
        logs.flush(w.db)
    finally:
        context.end()
    w.sim.settle()


def march(db, clock, settings) -> tuple[s.Weert, dict[str, str]]:  # type: ignore[no-untyped-def]
    """Monday 30 March 2026: Wonen Limburg reports Jansen (to AMW, minor children), El Amrani
    (to AMW) and De Groot (not invited); St. Joseph reports Mulder (to AMW). Selected the same
    day; the return overviews are due Thursday 9 April."""
    w = s.set_up(db, settings, clock)
    w.sim.advance_to(at(2026, 3, 30, 10, 0))
    jansen, el_amrani, de_groot = s.send_overview(
        w,
        "wonen-limburg",
        [
            s.signal("jansen", "WL-2026-03-0001"),
            s.signal("el_amrani", "WL-2026-03-0002"),
            s.signal("de_groot", "WL-2026-03-0003"),
        ],
    )
    (mulder,) = s.send_overview(w, "st-joseph", [s.signal("mulder", "SJ-2026-03-0001")])
    for key in (jansen, el_amrani, mulder):
        complete(w, key, "analyse_selectie", SDV, {"optie": "amw"})
    complete(
        w,
        de_groot,
        "analyse_selectie",
        SDV,
        {"optie": "niet", "reden_niet_benaderd": "lopend_traject_sdv"},
    )
    keys = {"jansen": jansen, "el_amrani": el_amrani, "de_groot": de_groot, "mulder": mulder}
    return w, keys


def bearer(db, org_key: str, *scopes: str) -> dict[str, str]:  # type: ignore[no-untyped-def]
    with db.transaction() as session:
        org_id = session.scalar(select(Organisation.id).where(Organisation.key == org_key))
        _row, secret = create_token(
            session, f"{org_key}-systeem", list(scopes), organisation_id=org_id
        )
    return {"Authorization": f"Bearer {secret}"}


ALL = ("feedback:read", "cases:read", "messages:write")


def test_api_retouroverzicht_lezen_versturen_en_wie_wat_ziet(db, clock, settings, client) -> None:
    w, keys = march(db, clock, settings)
    admin = bearer(db, ADMIN, *ALL)
    wonen = bearer(db, "wonen-limburg", *ALL)
    joseph = bearer(db, "st-joseph", *ALL)
    amw = bearer(db, AMW, *ALL)
    organisation(db, "haarlem-swt", "gemeente", "haarlem")
    stranger = bearer(db, "haarlem-swt", *ALL)

    # The municipality: what is waiting, with the option of stap 4, not yet sent.
    answer = client.get(f"{OVERVIEW}/wonen-limburg/2026-03", headers=admin)
    assert answer.status_code == 200, answer.get_json()
    body = answer.get_json()
    assert body["verstuurd_op"] is None and body["te_versturen"] == 3 and body["verstuurd"] == 0
    assert body["uiterlijk"] == "2026-04-09T23:59:59+02:00" and body["te_laat"] is False
    assert [(r["referentie"], r["optie"], r["zaak"]) for r in body["rijen"]] == [
        ("WL-2026-03-0001", AMW_OPTION, keys["jansen"]),
        ("WL-2026-03-0002", AMW_OPTION, keys["el_amrani"]),
        ("WL-2026-03-0003", NOT_INVITED, keys["de_groot"]),
    ]
    assert body["kolommen"][0] == "zaak" and body["kolommen"][-2:] == ["optie", "verstuurd_op"]

    # The corporation sees nothing before it is sent; no other party sees it at all.
    mine = client.get(f"{OVERVIEW}/wonen-limburg/2026-03", headers=wonen).get_json()
    assert mine["verstuurd_op"] is None and mine["rijen"] == []
    assert "te_versturen" not in mine
    assert client.get(f"{OVERVIEW}/wonen-limburg/2026-03", headers=joseph).status_code == 404
    assert client.get(f"{OVERVIEW}/wonen-limburg/2026-03", headers=stranger).status_code == 404
    assert client.get(f"{OVERVIEW}/wonen-limburg/2026-03", headers=amw).status_code == 403
    assert client.get(f"{OVERVIEW}/onbekend/2026-03", headers=admin).status_code == 404
    bad = client.get(f"{OVERVIEW}/wonen-limburg/2026-13", headers=admin)
    assert bad.status_code == 422 and "maand" in bad.get_json()["errors"]
    bad = client.get(f"{OVERVIEW}/wonen-limburg/2026-03?formaat=pdf", headers=admin)
    assert bad.status_code == 422 and bad.get_json()["errors"] == {
        "formaat": ["kies json, csv of xlsx"]
    }
    # Only the municipality sends.
    for headers, status in ((wonen, 404), (joseph, 404), (amw, 403), (stranger, 404)):
        refused = client.post(f"{OVERVIEW}/wonen-limburg/2026-03/versturen", headers=headers)
        assert refused.status_code == status
    feedback_only = bearer(db, ADMIN, "feedback:read")
    refused = client.post(f"{OVERVIEW}/wonen-limburg/2026-03/versturen", headers=feedback_only)
    assert refused.status_code == 403 and "scope" in refused.get_json()["message"]
    assert s.case(w, keys["jansen"]).phase == "terugkoppeling"

    # Wednesday 8 April: sent in time; a second send sends nothing and says so.
    w.sim.advance_to(at(2026, 4, 8, 10, 0))
    sent = client.post(f"{OVERVIEW}/wonen-limburg/2026-03/versturen", headers=admin)
    assert sent.status_code == 200, sent.get_json()
    body = sent.get_json()
    assert (body["status"], body["huurders"], body["te_laat"]) == ("verstuurd", 3, False)
    assert body["verstuurd_op"].startswith("2026-04-08T08:00")
    w.sim.settle()
    again = client.post(f"{OVERVIEW}/wonen-limburg/2026-03/versturen", headers=admin).get_json()
    assert again["status"] == "al_verstuurd" and again["huurders"] == 0
    assert again["eerder_verstuurd_op"].startswith("2026-04-08T08:00")
    assert "al verstuurd op 08-04-2026 10:00" in again["melding"]
    assert s.case(w, keys["jansen"]).phase == "vooraankondiging"
    # St. Joseph has nothing waiting in February and never had: a conflict that says so.
    empty = client.post(f"{OVERVIEW}/st-joseph/2026-02/versturen", headers=admin)
    assert empty.status_code == 409 and "geen huurders" in empty.get_json()["message"]

    # The corporation now gets exactly its own overview: reference, name, address, option.
    mine = client.get(f"{OVERVIEW}/wonen-limburg/2026-03", headers=wonen).get_json()
    assert mine["verstuurd_op"].startswith("2026-04-08T08:00")
    assert set(mine) == {"corporatie", "maand", "verstuurd_op", "kolommen", "rijen"}
    assert set(mine["kolommen"]) == CORPORATION_ROW
    assert all(set(row) == CORPORATION_ROW for row in mine["rijen"])
    assert [(r["referentie"], r["achternaam"], r["optie"]) for r in mine["rijen"]] == [
        ("WL-2026-03-0001", "Jansen", AMW_OPTION),
        ("WL-2026-03-0002", "El Amrani", AMW_OPTION),
        ("WL-2026-03-0003", "Groot", NOT_INVITED),
    ]
    assert client.get(f"{OVERVIEW}/wonen-limburg/2026-03", headers=joseph).status_code == 404
    municipal = client.get(f"{OVERVIEW}/wonen-limburg/2026-03", headers=admin).get_json()
    assert (municipal["te_versturen"], municipal["verstuurd"]) == (0, 3)
    assert all(r["verstuurd_op"] for r in municipal["rijen"])

    # CSV and XLSX through the export helpers.
    answer = client.get(f"{OVERVIEW}/wonen-limburg/2026-03?formaat=csv", headers=wonen)
    assert answer.status_code == 200 and answer.mimetype == "text/csv"
    assert "retouroverzicht-wonen-limburg-2026-03.csv" in answer.headers["Content-Disposition"]
    table = list(
        csv.reader(io.StringIO(answer.get_data(as_text=True).lstrip("\ufeff")), delimiter=";")
    )
    assert table[0] == [
        "Referentie",
        "Voorletters",
        "Tussenvoegsel",
        "Achternaam",
        "Straat",
        "Huisnummer",
        "Huisletter",
        "Toevoeging",
        "Postcode",
        "Woonplaats",
        "Optie",
    ]
    assert table[1] == [
        "WL-2026-03-0001", "P.J.", "", "Jansen", "Fluitekruidlaan", "12", "", "", "9999 XA",
        "Teststad", AMW_OPTION,
    ]  # fmt: skip
    answer = client.get(f"{OVERVIEW}/wonen-limburg/2026-03?formaat=xlsx", headers=admin)
    sheet = load_workbook(io.BytesIO(answer.get_data())).active
    assert [c.value for c in next(sheet.iter_rows())][:2] == ["Zaak", "Referentie"]

    # Every read is in the processing log, every refusal and send in the audit log.
    with db.session() as session:
        purposes = [p.attributes.get("doel") for p in session.scalars(select(ProcessingLog)).all()]
        audits = session.scalars(select(AuditLog).order_by(AuditLog.id)).all()
    assert "retouroverzicht (verstuurd)" in purposes
    assert "retouroverzicht aan corporatie" in purposes
    refused = [a for a in audits if a.action == "retouroverzicht.lezen"]
    assert refused and {a.result for a in refused} == {"geweigerd"}
    assert {a.organisation for a in refused} >= {"st-joseph", AMW}
    sends = [a for a in audits if a.action == "retouroverzicht.versturen" and a.result == "gelukt"]
    assert [a.details["status"] for a in sends] == ["verstuurd", "al_verstuurd"]
    assert sends[0].object_id == "wonen-limburg/2026-03" and sends[0].details["huurders"] == 3
    reads = [a for a in audits if a.action == "casus.lezen" and a.channel == "api"]
    assert reads and all(a.details["doel"].startswith("retouroverzicht") for a in reads)


def test_formula_injection_is_escaped_in_the_download(db, clock, settings, client) -> None:
    # The intake refuses formula characters; a value that got in another way (an older
    # intake, a register) is still escaped in the download.
    from app.engine.models import ProcessInstance

    w = s.set_up(db, settings, clock)
    w.sim.advance_to(at(2026, 3, 30, 10, 0))
    (key,) = s.send_overview(w, "wonen-limburg", [s.signal("jansen", "WL-2026-03-0001")])
    complete(w, key, "analyse_selectie", SDV, {"optie": "amw"})
    with db.transaction() as session:
        row = session.scalar(select(ProcessInstance).where(ProcessInstance.business_key == key))
        row.data = {**row.data, "woonplaats": "=HYPERLINK(1)"}  # type: ignore[union-attr]
    for formaat in ("csv", "xlsx"):
        answer = client.get(
            f"{OVERVIEW}/wonen-limburg/2026-03?formaat={formaat}", headers=bearer(db, ADMIN, *ALL)
        )
        if formaat == "csv":
            assert ";'=HYPERLINK(1);" in answer.get_data(as_text=True)
        else:
            sheet = load_workbook(io.BytesIO(answer.get_data())).active
            assert "'=HYPERLINK(1)" in [c.value for c in list(sheet.iter_rows())[1]]


def test_api_amw_lijst_en_bezwaar(db, clock, settings, client) -> None:
    w, keys = march(db, clock, settings)
    admin = bearer(db, ADMIN, *ALL)
    amw = bearer(db, AMW, *ALL)
    wonen = bearer(db, "wonen-limburg", *ALL)
    participatie = bearer(db, PARTICIPATIE, *ALL)
    w.sim.advance_to(at(2026, 4, 8, 10, 0))
    for corporation in ("wonen-limburg", "st-joseph"):
        sent = client.post(f"{OVERVIEW}/{corporation}/2026-03/versturen", headers=admin)
        assert sent.status_code == 200
    w.sim.settle()

    # Friday 10 April: El Amrani objects to AMW (art. 10.4), through the municipality.
    w.sim.advance_to(at(2026, 4, 10, 11, 0))
    objection = "/api/v1/weert/bezwaren"
    for body, message in (
        ({}, "verplicht: het kenmerk van de zaak (bijv. WEE-2026-03-00001)"),
        ({"kenmerk": "   "}, "mag niet leeg zijn"),
        ({"kenmerk": 5}, "moet tekst zijn"),
    ):
        answer = client.post(objection, json=body, headers=admin)
        assert answer.status_code == 422
        assert answer.get_json()["errors"] == {"kenmerk": [message]}
    assert client.post(objection, json={"kenmerk": "WEE-0"}, headers=admin).status_code == 404
    refused = client.post(objection, json={"kenmerk": keys["el_amrani"]}, headers=wonen)
    assert refused.status_code == 404  # the corporation is no party to this
    not_amw = client.post(objection, json={"kenmerk": keys["de_groot"]}, headers=admin)
    assert (
        not_amw.status_code == 409 and "wacht niet op een bezwaar" in not_amw.get_json()["message"]
    )
    done = client.post(objection, json={"kenmerk": keys["el_amrani"]}, headers=admin)
    assert done.status_code == 201 and done.get_json()["status"] == "vastgelegd"
    w.sim.settle()
    assert s.case(w, keys["el_amrani"]).data["reden_niet_benaderd"] == "bezwaar_amw"
    twice = client.post(objection, json={"kenmerk": keys["el_amrani"]}, headers=admin)
    assert twice.status_code == 409
    with db.session() as session:
        written = session.scalars(
            select(AuditLog).where(AuditLog.action == "casus.bezwaar_amw")
        ).all()
    assert [a.details["velden"] for a in written] == [["bezwaar_amw_ontvangen_op"]]

    # Monday 13 April: AMW's list, families with minor children first, art. 12.3 only.
    w.sim.advance_to(at(2026, 4, 13, 8, 30))
    answer = client.get("/api/v1/weert/amw-lijst/2026-04", headers=amw)
    assert answer.status_code == 200, answer.get_json()
    body = answer.get_json()
    assert [(r["zaak"], r["voorrang"], r["status"]) for r in body["rijen"]] == [
        (keys["jansen"], True, "open"),
        (keys["mulder"], False, "open"),
    ]
    assert set(body["kolommen"]) - {"zaak", "voorrang", "ontvangen_op", "status"} <= s.ART_12_3
    assert {"leefsituatie", "schuldgebieden", "telefoon"} <= set(body["kolommen"])
    assert all(set(r) == set(body["kolommen"]) for r in body["rijen"])
    assert body["rijen"][0]["leefsituatie"] == "met partner en kinderen, 2 minderjarige kinderen"
    assert body["rijen"][0]["ontvangen_op"].startswith("2026-04-12T22:00")
    # The municipality reads the same list; the corporation and participatie do not.
    municipal = client.get("/api/v1/weert/amw-lijst/2026-04", headers=admin).get_json()
    assert [r["zaak"] for r in municipal["rijen"]] == [keys["jansen"], keys["mulder"]]
    assert client.get("/api/v1/weert/amw-lijst/2026-04", headers=wonen).status_code == 403
    assert client.get("/api/v1/weert/amw-lijst/2026-04", headers=participatie).status_code == 403
    assert client.get("/api/v1/weert/amw-lijst/2026-03", headers=amw).get_json()["rijen"] == []
    assert client.get("/api/v1/weert/amw-lijst/april", headers=amw).status_code == 422

    # A first contact handled stays on the month's list, marked as handled.
    complete(
        w,
        keys["mulder"],
        "amw_contact_opnemen",
        AMW,
        {"amw_contact_gelegd": True, "amw_contactpogingen": 1, "amw_contact_datum": "2026-04-13"},
    )
    rows = client.get("/api/v1/weert/amw-lijst/2026-04", headers=amw).get_json()["rijen"]
    assert [(r["zaak"], r["status"]) for r in rows] == [
        (keys["jansen"], "open"),
        (keys["mulder"], "afgehandeld"),
    ]
    answer = client.get("/api/v1/weert/amw-lijst/2026-04?formaat=csv", headers=amw)
    header = answer.get_data(as_text=True).lstrip("\ufeff").splitlines()[0].split(";")
    assert header[:2] == ["Zaak", "Voorrang (minderjarige kinderen)"] and "Leefsituatie" in header


# -- the pages ---------------------------------------------------------------------------------


def _login(app, username: str):  # type: ignore[no-untyped-def]
    client = app.test_client()
    page = client.get("/inloggen").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)  # type: ignore[union-attr]
    answer = client.post(
        "/inloggen",
        data={"gebruikersnaam": username, "wachtwoord": PASSWORD, "csrf_token": token},
    )
    assert answer.status_code == 302, answer.get_data(as_text=True)[:300]
    return client


def _csrf(page: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)  # type: ignore[union-attr]


def _text(page: str) -> str:
    from html import unescape

    return " ".join(unescape(re.sub(r"<[^>]+>", " ", page)).split())


def test_paginas_retouroverzicht_versturen_en_amw_lijst(db, clock, settings, app) -> None:
    w, keys = march(db, clock, settings)
    w.sim.advance_to(at(2026, 4, 8, 10, 0))
    admin = _login(app, f"{ADMIN}.medewerker")

    page = admin.get("/weert/retouroverzichten?maand=2026-03")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "<title>Retouroverzichten maart 2026 – Stroom</title>" in html
    assert "Retouroverzichten</a>" in html and "AMW-lijst</a>" in html  # the menu
    assert "Retouroverzicht versturen aan Wonen-Limburg" in _text(html)
    # The corporations by name (St-Joseph before Wonen-Limburg), their tenants by reference.
    assert re.findall(r'data-zaak="([^"]+)"', html) == [
        keys["mulder"],
        keys["jansen"],
        keys["el_amrani"],
        keys["de_groot"],
    ]
    assert "Huurder wordt niet uitgenodigd" in html and "Nog niet verstuurd" in html

    # Without the form token nothing is sent.
    url = "/weert/retouroverzichten/wonen-limburg/2026-03/versturen"
    assert admin.post(url).status_code == 400
    assert s.case(w, keys["jansen"]).phase == "terugkoppeling"
    answer = admin.post(url, data={"csrf_token": _csrf(html)})
    assert answer.status_code == 302
    assert answer.headers["Location"].endswith("maand=2026-03#corporatie-wonen-limburg")
    w.sim.settle()
    shown = _text(admin.get("/weert/retouroverzichten?maand=2026-03").get_data(as_text=True))
    assert "Retouroverzicht wonen-limburg 2026-03 verstuurd: 3 huurders." in shown
    assert "Retouroverzicht versturen aan Wonen-Limburg" not in shown
    assert "Retouroverzicht versturen aan St-Joseph" in shown
    admin.post(url, data={"csrf_token": _csrf(html)})
    shown = _text(admin.get("/weert/retouroverzichten?maand=2026-03").get_data(as_text=True))
    assert "is al verstuurd op 08-04-2026 10:00; er is niets nieuws verstuurd." in shown
    assert s.case(w, keys["jansen"]).phase == "vooraankondiging"

    download = admin.get("/weert/retouroverzichten/wonen-limburg/2026-03.csv")
    assert download.status_code == 200 and download.mimetype == "text/csv"
    bad = admin.get("/weert/retouroverzichten?maand=maart")
    assert bad.status_code == 422 and "<title>Fout: " in bad.get_data(as_text=True)
    assert 'aria-invalid="true"' in bad.get_data(as_text=True)

    # The SDV's worker sees the overviews too (without the reference: the catalogue).
    sdv = _login(app, f"{SDV}.medewerker")
    html = sdv.get("/weert/retouroverzichten?maand=2026-03").get_data(as_text=True)
    assert "Jansen" in html and "WL-2026-03-0001" not in html

    # The corporation, AMW and participatie get no overview page; AMW its list.
    for username in ("wonen-limburg.medewerker", f"{AMW}.medewerker", f"{PARTICIPATIE}.medewerker"):
        other = _login(app, username)
        assert other.get("/weert/retouroverzichten?maand=2026-03").status_code == 403
        menu = other.get("/taken").get_data(as_text=True)
        assert other.post(url, data={"csrf_token": _csrf(menu)}).status_code in (403, 404)
        assert "Retouroverzichten</a>" not in menu
    corporation = _login(app, "wonen-limburg.medewerker")
    assert corporation.get("/weert/amw-lijst?maand=2026-04").status_code == 403

    w.sim.advance_to(at(2026, 4, 13, 8, 30))
    amw = _login(app, f"{AMW}.medewerker")
    html = amw.get("/weert/amw-lijst?maand=2026-04").get_data(as_text=True)
    assert '<h1 class="utrecht-heading-1">AMW-lijst april 2026</h1>' in html
    # St. Joseph's overview was not sent: Mulder is not on the list.
    assert re.findall(r'data-zaak="([^"]+)"', html) == [keys["jansen"], keys["el_amrani"]]
    assert "ja, voorrang" in html and "energie, huur, water" in html
    assert "AMW-lijst</a>" in html and "Retouroverzichten</a>" not in html
    assert amw.get("/weert/amw-lijst?maand=2026-04&formaat=xlsx").status_code == 200
    municipal = admin.get("/weert/amw-lijst?maand=2026-04").get_data(as_text=True)
    assert len(re.findall(r'data-zaak="', municipal)) == 2


# -- the command line ----------------------------------------------------------------------------


def test_cli_retouroverzicht_versturen_en_csv(db, clock, settings) -> None:
    w, keys = march(db, clock, settings)
    runner = CliRunner()

    def run(*args: str) -> Any:
        return runner.invoke(main, ["--database", db.url, "weert", *args], catch_exceptions=False)

    shown = run("return-overview", "--corporation", "wonen-limburg", "--month", "2026-03")
    assert shown.exit_code == 0, shown.output
    lines = shown.output.splitlines()
    assert lines[0].startswith("Retouroverzicht Wonen-Limburg 2026-03: nog niet verstuurd")
    assert "te versturen 3" in lines[0]
    assert lines[1].split("\t")[:3] == ["Zaak", "Referentie", "Voorletters"]
    assert len(lines) == 5

    w.sim.advance_to(at(2026, 4, 8, 10, 0))
    sent = run("return-overview", "--corporation", "wonen-limburg", "--month", "2026-03", "--send")
    assert sent.exit_code == 0, sent.output
    assert "Retouroverzicht wonen-limburg 2026-03 verstuurd: 3 huurders." in sent.output
    w.sim.settle()
    again = run(
        "return-overview",
        "--corporation",
        "wonen-limburg",
        "--month",
        "2026-03",
        "--send",
        "--csv",
    )
    assert again.exit_code == 0
    assert "al verstuurd op 08-04-2026 10:00" in again.stderr
    table = list(csv.reader(io.StringIO(again.stdout.lstrip("\ufeff")), delimiter=";"))
    assert table[0][:2] == ["Zaak", "Referentie"] and len(table) == 4
    assert table[1][-1] == "08-04-2026 10:00"

    bad = runner.invoke(
        main,
        ["--database", db.url, "weert", "return-overview", "--corporation", "x", "--month", "3"],
    )
    assert bad.exit_code == 2 and "JJJJ-MM" in bad.output
    unknown = run("return-overview", "--corporation", "onbekend", "--month", "2026-03")
    assert unknown.exit_code == 1 and "bestaat niet" in unknown.stderr

    w.sim.advance_to(at(2026, 4, 10, 11, 0))
    objection = run("objection", keys["el_amrani"])
    assert objection.exit_code == 0, objection.output
    w.sim.settle()
    assert s.case(w, keys["el_amrani"]).data["reden_niet_benaderd"] == "bezwaar_amw"
    w.sim.advance_to(at(2026, 4, 13, 8, 30))
    listed = run("amw-list", "--month", "2026-04", "--on-behalf-of", "amw")
    assert listed.exit_code == 0, listed.output
    assert listed.output.splitlines()[0] == "AMW-lijst 2026-04: 1 huurders"
    # Last version's names still work for one version, with a line saying the new name.
    old = run("amw-lijst", "--maand", "2026-04", "--namens", "amw")
    assert old.exit_code == 0 and old.stdout == listed.stdout
    assert "`amw-lijst` heet nu `amw-list`" in old.stderr
    assert "`--maand` heet nu `--month`" in old.stderr
    assert keys["jansen"] in listed.output and keys["el_amrani"] not in listed.output


@pytest.fixture
def app(db, settings):  # type: ignore[no-untyped-def]
    import dataclasses

    from app.web import create_app

    return create_app(dataclasses.replace(settings, totp_roles=frozenset()), db, testing=True)

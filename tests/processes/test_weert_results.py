"""Weert's results for the periodic review (app/processes/weert/results.py): the figures, the
page for the municipality's manager with its downloads, and `stroom weert results`.

Raadsvoorstel, "Uitvoering/evaluatie": "Werkwijze en resultaten zullen periodiek met de
convenantpartners worden besproken." Built on real cases through the real intake, on the
virtual clock; only counts leave the report.
"""

from __future__ import annotations

import csv
import io
import json

from click.testing import CliRunner
from openpyxl import load_workbook

from app.cli import main
from app.processes.weert import service as weert
from app.processes.weert.results import resultaten
from tests.processes import weert_vroegsignalering_support as s
from tests.processes.test_weert_routes import ADMIN, AMW, SDV, _login, _text, at, complete, march
from tests.support.coverage import record

# Not a scenario module of its own: the diagram's coverage is judged on
# test_weert_vroegsignalering.py (what these tests record counts towards it as well).


def review(db, clock, settings):  # type: ignore[no-untyped-def]
    """March 2026 (four tenants, see `march`) and one April signal with an upheld objection
    (art. 10.3). Wonen Limburg's March overview goes on time; St. Joseph's is forgotten until
    it escalates, then sent; AMW reaches Jansen (support) and El Amrani (debt settlement)."""
    w, keys = march(db, clock, settings)
    w.sim.advance_to(at(2026, 4, 8, 10, 0))
    weert.send_return_overview(
        w.db, w.people[ADMIN], "wonen-limburg", "2026-03", w.settings.secret_key
    )
    w.sim.settle()
    w.sim.advance_to(at(2026, 4, 14, 10, 0))  # after the term and two working days: escalated
    assert [t.element_id for t in s.open_tasks(w, keys["mulder"])] == ["retouroverzicht_escaleren"]
    weert.send_return_overview(w.db, w.people[ADMIN], "st-joseph", "2026-03", w.settings.secret_key)
    w.sim.settle()
    complete(
        w,
        keys["jansen"],
        "amw_contact_opnemen",
        AMW,
        {"amw_contact_gelegd": True, "amw_contactpogingen": 1, "amw_contact_datum": "2026-04-14"},
    )
    complete(
        w,
        keys["jansen"],
        "psychosociale_situatie",
        AMW,
        {"schuldregeling_nodig": False, "psychosociale_begeleiding": True},
    )
    (objecting,) = s.send_overview(
        w, "wonen-limburg", [s.signal("vermeulen", "WL-2026-04-0001", bezwaar_melding=True)]
    )
    complete(
        w,
        objecting,
        "bezwaar_beoordelen",
        SDV,
        {"bezwaar_gegrond": True, "motivering_bezwaar": "Huurder wil geen contact"},
    )
    return w, {**keys, "vermeulen": objecting}


def test_resultaten_voor_de_periodieke_bespreking(db, clock, settings) -> None:
    """The figures follow the stroomschema: signals per corporation, priority (art. 4.1), the
    option of stap 4, the outcomes of stap 5 with reasons, objections (art. 10.3, 10.4),
    authorisations (art. 10.5), late and escalated return overviews; a period is a range of
    overview months."""
    w, keys = review(db, clock, settings)
    with db.session() as session:
        march_only = resultaten(session, "weert", "2026-03", "2026-03")
        both = resultaten(session, "weert", "2026-03", "2026-04")
        april = resultaten(session, "weert", "2026-04", None)
        other = resultaten(session, "roermond")
    assert march_only.signalen_per_corporatie == {"Wonen-Limburg": 3, "St-Joseph": 1}
    assert march_only.opties == {"amw": 3, "niet": 1}
    assert march_only.voorrang_minderjarigen == sum(
        1
        for k in ("jansen", "el_amrani", "de_groot", "mulder")
        if s.case(w, keys[k]).data.get("voorrang_minderjarigen")
    )
    assert march_only.uitkomsten == {"niet_benaderd": 1, "ondersteuning_amw": 1}
    assert march_only.redenen_niet_benaderd == {"lopend_traject_sdv": 1}
    assert march_only.nog_lopend == 2  # El Amrani and Mulder wait for AMW
    assert (march_only.retouroverzicht_te_laat, march_only.retouroverzicht_geescaleerd) == (1, 1)
    assert march_only.bezwaar_melding == 0

    # April's overview is not sent yet: the objection counts, its outcome not yet.
    assert april.signalen == 1 and april.bezwaar_melding == april.bezwaar_melding_gegrond == 1
    assert april.opties == {"niet": 1} and april.nog_lopend == 1
    assert both.signalen == 5 and both.opties == {"amw": 3, "niet": 2}
    assert other.signalen == 0 and other.regels()[0] == ("Signalen van de corporaties (stap 2)", 0)

    lines = dict(march_only.regels())
    assert lines["Retouroverzicht na de termijn (vóór de 10e)"] == 1
    assert lines["    reden: lopend traject bij schulddienstverlening"] == 1
    # Only counts: no tenant's name, address or reference in the report.
    text = json.dumps(march_only.regels())
    for k in keys.values():
        assert k not in text
    assert "Jansen" not in text and "WL-2026" not in text
    record(db, s.KEY)


def test_resultatenpagina_downloads_en_wie_hem_ziet(db, clock, settings, app) -> None:
    review(db, clock, settings)
    admin = _login(app, f"{ADMIN}.medewerker")
    page = admin.get("/weert/resultaten?van=2026-03&tot=2026-03")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "Resultaten Weert</a>" in html  # in the menu
    shown = _text(html)
    assert "Signalen van de corporaties (stap 2) 4" in shown
    assert "Retouroverzicht na de termijn (vóór de 10e) 1" in shown
    download = admin.get("/weert/resultaten?van=2026-03&tot=2026-03&formaat=csv")
    assert download.status_code == 200 and download.mimetype == "text/csv"
    rows = list(
        csv.reader(io.StringIO(download.get_data(as_text=True).lstrip("\ufeff")), delimiter=";")
    )
    assert (
        rows[0] == ["Resultaat", "Aantal"] and ["Signalen van de corporaties (stap 2)", "4"] in rows
    )
    book = load_workbook(
        io.BytesIO(admin.get("/weert/resultaten?van=2026-03&tot=2026-04&formaat=xlsx").data)
    )
    values = [[c.value for c in r] for r in book.active.iter_rows()]
    assert ["Bezwaar tegen de melding bij de corporatie (art. 10.3)", 1] in values

    bad = admin.get("/weert/resultaten?van=maart&tot=2026-02")
    assert bad.status_code == 422 and "<title>Fout: " in bad.get_data(as_text=True)
    backwards = admin.get("/weert/resultaten?van=2026-04&tot=2026-03&formaat=csv")
    assert backwards.status_code == 422  # no download of a period that does not exist
    assert "De laatste maand ligt voor de eerste maand." in backwards.get_data(as_text=True)

    for username in ("wonen-limburg.medewerker", f"{AMW}.medewerker"):
        other = _login(app, username)
        assert other.get("/weert/resultaten").status_code == 403
        assert "Resultaten Weert</a>" not in other.get("/taken").get_data(as_text=True)


def test_cli_resultaten(db, clock, settings) -> None:
    review(db, clock, settings)
    runner = CliRunner()

    def run(*args: str):  # type: ignore[no-untyped-def]
        return runner.invoke(main, ["--database", db.url, "weert", "results", *args])

    shown = run("--from", "2026-03", "--to", "2026-03")
    assert shown.exit_code == 0, shown.output
    assert "Signalen van de corporaties (stap 2): 4" in shown.output
    figures = json.loads(run("--from", "2026-04", "--json").output)
    assert figures["bezwaar_melding_gegrond"] == 1 and figures["signalen"] == 1
    table = run("--csv").stdout.lstrip("\ufeff").splitlines()
    assert table[0] == "Resultaat;Aantal" and table[1] == "Signalen van de corporaties (stap 2);5"
    bad = run("--from", "maart")
    assert bad.exit_code == 2 and "JJJJ-MM" in bad.output

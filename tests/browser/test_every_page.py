"""axe-core on every page (issue 8): the pages the other browser tests do not reach yet, each
logged in as someone who may see it, with a screenshot in test-artifacts/screenshots/:

- administration (/beheer/*), reached through the second factor: enrolment and code pages,
  also with a wrong code;
- Weert's return overviews and AMW list;
- the upload page, empty, with an error and with the result of a file with one bad row;
- a task page without errors and the case page of a case with documents;
- the privacy officer's case lookup; the process overview, incidents and performance pages.

The last test walks app.url_map: every page (GET) route must be checked with axe-core by some
browser test (PAGES) or be excluded with a reason (NOT_PAGES), so a new page without an
accessibility check fails the suite.
"""

from __future__ import annotations

import dataclasses
from datetime import timedelta
from pathlib import Path
from typing import Any

import pyotp
import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from app.auth import service
from app.auth.models import User
from app.db import Database
from tests.browser.support import check_accessibility, leave_focus, screenshot
from tests.support.orgs import PASSWORD, organisation, user

TOTP_ROLES = frozenset({"beheerder", "privacyfunctionaris"})


@pytest.fixture
def settings(settings: Any) -> Any:
    """Administrators and privacy officers log in with a second factor, as in production."""
    return dataclasses.replace(settings, totp_roles=TOTP_ROLES)


def check(page: Any, name: str) -> None:
    """axe-core on the page as it is now, then a screenshot (without a focus ring)."""
    leave_focus(page)
    check_accessibility(page, name)
    screenshot(page, name)


def log_in(page: Any, base: str, username: str, target: str = "/") -> None:
    page.goto(f"{base}/inloggen?volgende={target}")
    page.get_by_label("Gebruikersnaam").fill(username)
    page.get_by_label("Wachtwoord").fill(PASSWORD)
    page.get_by_role("button", name="Inloggen").click()
    page.wait_for_url(f"{base}{target}")


def log_in_with_code(page: Any, base: str, username: str, seed: str, clock: Any) -> None:
    page.goto(f"{base}/inloggen")
    page.get_by_label("Gebruikersnaam").fill(username)
    page.get_by_label("Wachtwoord").fill(PASSWORD)
    page.get_by_role("button", name="Inloggen").click()
    page.wait_for_url(f"{base}/inloggen/code")
    page.get_by_label("Code van 6 cijfers").fill(pyotp.TOTP(seed).at(clock.now()))
    page.get_by_role("button", name="Controleren").click()
    expect(page.get_by_role("button", name="Uitloggen")).to_be_visible()


def enrolled(db: Database, settings: Any, clock: Any, username: str) -> str:
    """Give `username` a second factor; returns its seed."""
    seed = service.start_totp_enrollment(settings.secret_key)
    with db.transaction() as session:
        row = session.scalar(select(User).where(User.username == username))
        service.finish_totp_enrollment(
            row, settings.secret_key, seed, pyotp.TOTP(seed).at(clock.now())
        )
    clock.advance(timedelta(seconds=30))  # a code is accepted once: log in with the next one
    return seed


# -- second factor and administration -----------------------------------------------------------


def test_second_factor_and_admin_pages(
    live_server: str, page: Any, console: Any, db: Database, clock: Any
) -> None:
    console.allow(r"status of 422")  # wrong codes and empty forms answer 422, on purpose
    organisation(db, "beheer", "beheer", name="Beheer")
    organisation(db, "weert-sdv", "gemeente", name="Schuldhulp Weert")
    user(db, "olaf", "beheer", roles=("beheerder",), groups=())
    user(db, "bob", "weert-sdv")

    # First login: the role needs a second factor, so it is set up now.
    page.goto(f"{live_server}/inloggen")
    page.get_by_label("Gebruikersnaam").fill("olaf")
    page.get_by_label("Wachtwoord").fill(PASSWORD)
    page.get_by_role("button", name="Inloggen").click()
    page.wait_for_url(f"{live_server}/inloggen/instellen")
    assert page.title() == "Tweede factor instellen – Stroom"
    check(page, "inloggen-instellen")
    seed = page.locator("code.stroom-secret").inner_text().replace(" ", "")
    page.get_by_label("Code die de app nu toont").fill("000000")
    page.get_by_role("button", name="Instellen en inloggen").click()
    expect(page).to_have_title("Fout: Tweede factor instellen – Stroom")
    check(page, "inloggen-instellen-fout")
    page.get_by_label("Code die de app nu toont").fill(pyotp.TOTP(seed).at(clock.now()))
    page.get_by_role("button", name="Instellen en inloggen").click()
    expect(page.get_by_role("button", name="Uitloggen")).to_be_visible()
    page.get_by_role("button", name="Uitloggen").click()
    clock.advance(timedelta(seconds=30))  # a code is accepted once: the next login needs the next

    # The next login asks for the code.
    page.get_by_label("Gebruikersnaam").fill("olaf")
    page.get_by_label("Wachtwoord").fill(PASSWORD)
    page.get_by_role("button", name="Inloggen").click()
    page.wait_for_url(f"{live_server}/inloggen/code")
    assert page.title() == "Code uit uw authenticator-app – Stroom"
    check(page, "inloggen-code")
    page.get_by_label("Code van 6 cijfers").fill("000000")
    page.get_by_role("button", name="Controleren").click()
    expect(page).to_have_title("Fout: Code uit uw authenticator-app – Stroom")
    check(page, "inloggen-code-fout")
    page.get_by_label("Code van 6 cijfers").fill(pyotp.TOTP(seed).at(clock.now()))
    page.get_by_role("button", name="Controleren").click()
    expect(page.get_by_role("button", name="Uitloggen")).to_be_visible()

    page.goto(f"{live_server}/beheer/")
    page.wait_for_url(f"{live_server}/beheer/gebruikers")
    assert page.title() == "Gebruikers – Stroom"
    check(page, "beheer-gebruikers")
    page.get_by_role("button", name="Toevoegen").click()  # nothing filled in
    expect(page).to_have_title("Fout: Gebruikers – Stroom")
    check(page, "beheer-gebruikers-fout")

    page.goto(f"{live_server}/beheer/gebruikers/bob")
    assert page.title() == "Gebruiker bob – Stroom"
    check(page, "beheer-gebruiker")
    page.get_by_label("Nieuw wachtwoord").fill("kort")
    page.get_by_role("button", name="Wachtwoord instellen").click()
    expect(page).to_have_title("Fout: Gebruiker bob – Stroom")
    check(page, "beheer-gebruiker-fout")

    page.goto(f"{live_server}/beheer/organisaties")
    assert page.title().endswith("– Stroom")
    check(page, "beheer-organisaties")

    page.goto(f"{live_server}/beheer/tokens")
    assert page.title() == "API-tokens – Stroom"
    check(page, "beheer-tokens")
    page.get_by_role("button", name="Aanmaken").click()  # no name, no scopes
    expect(page).to_have_title("Fout: API-tokens – Stroom")
    check(page, "beheer-tokens-fout")
    page.get_by_label("Naam").fill("Woningcorporatie")
    page.locator("input[name=scopes]").first.check()
    page.get_by_role("button", name="Aanmaken").click()
    expect(page.locator("main")).to_contain_text("Kopieer het token nu")
    check(page, "beheer-tokens-nieuw")


# -- Weert ---------------------------------------------------------------------------------------


def test_weert_overviews_and_amw_list(
    live_server: str, page: Any, console: Any, db: Database, clock: Any, settings: Any
) -> None:
    from tests.processes.test_weert_routes import ADMIN, AMW, at, march

    console.allow(r"status of 422")  # the month "maart" is refused with 422, on purpose
    w, _keys = march(db, clock, settings)
    w.sim.advance_to(at(2026, 4, 8, 10, 0))
    target = "/weert/retouroverzichten?maand=2026-03"
    log_in(page, live_server, f"{ADMIN}.medewerker", target)
    assert page.title() == "Retouroverzichten maart 2026 – Stroom"
    check(page, "weert-retouroverzichten")
    page.get_by_role("button", name="Retouroverzicht versturen aan Wonen-Limburg").click()
    expect(page.locator("#meldingen")).to_contain_text("verstuurd")
    w.sim.settle()
    check(page, "weert-retouroverzichten-verstuurd")
    page.goto(f"{live_server}/weert/retouroverzichten?maand=maart")
    assert page.title().startswith("Fout: ")
    check(page, "weert-retouroverzichten-fout")

    w.sim.advance_to(at(2026, 4, 13, 8, 30))
    page.context.clear_cookies()
    log_in(page, live_server, f"{AMW}.medewerker", "/weert/amw-lijst?maand=2026-04")
    assert page.title() == "AMW-lijst april 2026 – Stroom"
    assert page.locator("[data-zaak]").count() == 2
    check(page, "weert-amw-lijst")


# -- the upload page -----------------------------------------------------------------------------


def test_upload_page_with_one_bad_row(
    live_server: str, page: Any, console: Any, db: Database, clock: Any, tmp_path: Path
) -> None:
    from tests.intake.test_batches import build
    from tests.intake.test_upload import rows_with_one_bad
    from tests.support.engine import FIXTURES, deploy_paths
    from tests.support.orgs import bind, partner

    console.allow(r"status of 422")  # the form without a file answers 422, on purpose
    deploy_paths(db, FIXTURES / "melding.bpmn")
    partner(db, "wonen-limburg", "test_melding", pattern=r"WL-\d{6}")
    organisation(db, "weert-sdv", "gemeente", "weert")
    bind(db, "test_melding", "weert", "wijkteam", "weert-sdv")
    user(db, "marieke", "wonen-limburg")

    log_in(page, live_server, "marieke", "/meldingen/bestand")
    assert page.title() == "Meldingen inlezen – Stroom"
    check(page, "meldingen-bestand")
    page.get_by_role("button", name="Inlezen").click()
    expect(page).to_have_title("Fout: Meldingen inlezen – Stroom")
    check(page, "meldingen-bestand-fout")

    upload = tmp_path / "meldingen.csv"
    upload.write_bytes(build(rows_with_one_bad(), "csv"))
    page.get_by_label("Bestand").set_input_files(str(upload))
    # While the server reads the file, the page says so (issue 24). A listener after the
    # page's own keeps this one submission from leaving the page, to look at that state.
    page.evaluate("window.addEventListener('submit', (e) => e.preventDefault(), {once: true})")
    page.get_by_role("button", name="Inlezen").click()
    expect(page.locator(".stroom-busy")).to_contain_text("Bezig met inlezen")
    expect(page.locator("progress")).to_be_visible()
    expect(page.get_by_role("button", name="Inlezen")).to_be_disabled()
    expect(page.locator("[data-stroom-error-summary]")).to_be_hidden()  # the old attempt's
    screenshot(page, "meldingen-bestand-bezig")
    page.set_viewport_size({"width": 390, "height": 844})
    screenshot(page, "meldingen-bestand-bezig-390")
    page.set_viewport_size({"width": 1280, "height": 900})
    page.goto(f"{live_server}/meldingen/bestand")
    page.get_by_label("Bestand").set_input_files(str(upload))
    page.get_by_role("button", name="Inlezen").click()
    expect(page.get_by_role("heading", name="Resultaat")).to_be_visible()
    rejected = page.locator("table").filter(has_text="Probleem").locator("tbody tr")
    expect(rejected).to_have_count(1)
    expect(rejected).to_contain_text("postcode")
    check(page, "meldingen-bestand-resultaat")


# -- a task and a case with documents -------------------------------------------------------------


def test_task_page_and_case_with_documents(
    live_server: str, page: Any, db: Database, clock: Any, settings: Any
) -> None:
    from tests.cases.support import document, seed

    world = seed(db, settings.secret_key)
    document(db, world.case, "user:sanne", "brief-aan-bewoner.pdf")
    document(db, world.case, "user:sanne", "afspraak.pdf")

    log_in(page, live_server, "sanne", f"/taken/{world.task.id}")
    expect(page.get_by_role("heading", level=1)).to_have_text("Melding beoordelen")
    page.wait_for_selector(".fjs-form")  # the form is drawn
    check(page, "taak")

    page.goto(f"{live_server}/zaken/{world.case}")
    documents = page.locator("table").filter(has_text="Toegevoegd door").locator("tbody tr")
    expect(documents).to_have_count(2)
    check(page, "zaak-met-documenten")


def test_case_list_with_search(live_server: str, page: Any, db: Database, settings: Any) -> None:
    from tests.cases.support import seed, signal

    seed(db, settings.secret_key, [signal(1), signal(2, name="Familie De Vries"), signal(3)])
    log_in(page, live_server, "sanne", "/zaken")
    expect(page.locator("main tbody tr")).to_have_count(3)
    check(page, "zaken")
    page.get_by_label("Zoeken").fill("de vries")
    page.get_by_role("button", name="Zoeken").click()
    expect(page.locator("main tbody tr")).to_have_count(1)
    expect(page.locator("main tbody")).to_contain_text("Familie De Vries")
    page.set_viewport_size({"width": 390, "height": 844})
    check(page, "zaken-gezocht-390")


# -- privacy officer and process management ------------------------------------------------------


def test_privacy_case_lookup(
    live_server: str, page: Any, console: Any, db: Database, clock: Any, settings: Any
) -> None:
    console.allow(r"status of 422")  # an unknown case answers 422, on purpose
    organisation(db, "regio-privacy", "gemeente", name="Regio privacy")
    user(db, "pia", "regio-privacy", roles=("privacyfunctionaris",))
    seed = enrolled(db, settings, clock, "pia")
    log_in_with_code(page, live_server, "pia", seed, clock)

    page.goto(f"{live_server}/privacy/")
    page.wait_for_url(f"{live_server}/privacy/verwerkingen")
    check(page, "privacy-verwerkingen-leeg")
    page.goto(f"{live_server}/privacy/audit")
    check(page, "privacy-audit-leeg")
    page.goto(f"{live_server}/privacy/toestemmingen")
    assert page.title() == "Toestemmingen – Stroom"
    check(page, "privacy-toestemmingen-zoeken")
    page.get_by_label("Zaak", exact=True).fill("BESTAAT-NIET")
    page.get_by_role("button", name="Toestemmingen tonen").click()
    expect(page).to_have_title("Fout: Toestemmingen – Stroom")
    check(page, "privacy-toestemmingen-fout")


def test_process_overview_incidents_and_performance(
    live_server: str, page: Any, db: Database, clock: Any, settings: Any
) -> None:
    from tests.manage.support import build_scenario

    build_scenario(db, clock, settings)
    log_in(page, live_server, "mia", "/processen/overzicht")
    assert page.title().endswith("– Stroom")
    check(page, "processen-overzicht")
    page.goto(f"{live_server}/processen/storingen")
    expect(page.locator("main")).to_contain_text("Register raadplegen")
    check(page, "processen-storingen")
    page.goto(f"{live_server}/processen/prestaties/test_toezicht")
    check(page, "processen-prestaties")


# -- every page has an axe check ------------------------------------------------------------------

BROWSER_TESTS = Path(__file__).resolve().parent
LISTS = "# -- every page has an axe check"

# GET routes that are pages, and the browser test that runs axe-core on them. The test file
# must mention the route (its part before the first parameter) or its marker in MARKERS.
PAGES = {
    "/": "test_layout.py",
    "/taken": "test_inbox.py",
    "/taken/<task_id>": "test_every_page.py",
    "/zaken": "test_every_page.py",
    "/zaken/<instance_id>": "test_every_page.py",
    "/meldingen/nieuw": "test_inbox.py",
    "/meldingen/bestand": "test_every_page.py",
    "/inloggen": "test_inbox.py",
    "/inloggen/code": "test_every_page.py",
    "/inloggen/instellen": "test_every_page.py",
    "/beheer/gebruikers": "test_every_page.py",
    "/beheer/gebruikers/<username>": "test_every_page.py",
    "/beheer/organisaties": "test_every_page.py",
    "/beheer/tokens": "test_every_page.py",
    "/weert/retouroverzichten": "test_every_page.py",
    "/weert/amw-lijst": "test_every_page.py",
    "/weert/resultaten": "test_weert_results.py",
    "/privacy/verwerkingen": "test_privacy_pages.py",
    "/privacy/taken": "test_privacy_registers.py",
    "/privacy/datalekken": "test_privacy_registers.py",
    "/privacy/datalekken/<int:breach_id>": "test_privacy_registers.py",
    "/privacy/verzoeken": "test_privacy_registers.py",
    "/privacy/verzoeken/<int:request_id>": "test_privacy_registers.py",
    "/privacy/audit": "test_privacy_pages.py",
    "/privacy/toestemmingen": "test_every_page.py",
    "/privacy/toestemmingen/<instance_id>": "test_privacy_pages.py",
    "/processen/": "test_manage_pages.py",
    "/processen/overzicht": "test_every_page.py",
    "/processen/storingen": "test_every_page.py",
    "/processen/instanties/<instance_id>": "test_manage_pages.py",
    "/processen/instanties/<instance_id>/storingen/<int:incident_id>": "test_repair.py",
    "/processen/instanties/<instance_id>/verplaatsen": "test_repair.py",
    "/processen/warmtekaart/<process_key>": "test_manage_pages.py",
    "/processen/prestaties/<process_key>": "test_every_page.py",
    "/processen/<key>/bewerken": "test_modeller.py",
    "/processen/<key>/versies": "test_modeller.py",
    "/processen/<key>/migreren": "test_modeller.py",
    "/processen/<key>/formulieren/<name>": "test_form_editor.py",
    "/processen/<key>/catalogus": "test_catalogue_editor.py",
    "/processen/<key>/catalogus/velden/<name>": "test_catalogue_editor.py",
    "/processen/<key>/catalogus/nieuw-veld": "test_catalogue_editor.py",
    "/processen/<key>/catalogus/instellingen": "test_catalogue_editor.py",
    "/privacy/goedkeuringen": "test_catalogue_editor.py",
    "/privacy/goedkeuringen/<int:approval_id>": "test_catalogue_editor.py",
}

# Pages a test reaches by a link rather than by their address: what shows the visit instead.
MARKERS = {"/meldingen/nieuw": 'check_accessibility(page, "nieuwe-melding")'}

# GET routes that are no page of their own, with the reason.
NOT_PAGES = {
    "/healthz": "JSON for the load balancer",
    "/static/<path:filename>": "static files",
    "/beheer/": "redirect to /beheer/gebruikers",
    "/privacy/": "redirect to /privacy/verwerkingen",
    "/inloggen/oidc": "redirect to the identity provider",
    "/inloggen/oidc/terug": "redirect back from the identity provider",
    "/privacy/audit/export.<fmt>": "download (CSV/JSON)",
    "/privacy/datalekken/export.<fmt>": "download (CSV/XLSX)",
    "/privacy/verwerkingen/export.<fmt>": "download (CSV/JSON)",
    "/processen/prestaties/<process_key>/<chart>.csv": "download (CSV)",
    "/processen/sjablonen.json": "download (element templates, JSON)",
    "/processen/<key>/versies/<int:number>.bpmn": "download (a version's diagram)",
    "/processen/<key>/catalogus.yaml": "download (the catalogue file being edited)",
    "/weert/retouroverzichten/<corporatie>/<maand>.<formaat>": "download (CSV/XLSX)",
    "/zaken/<instance_id>/documenten/<int:document_id>": "download (the document)",
}


def test_every_page_route_has_an_accessibility_check(app: Any) -> None:
    """A GET route is an API route (/api/, JSON), a known non-page, or a page with an axe check
    in tests/browser; a new page without one fails here."""
    routes = {
        rule.rule
        for rule in app.url_map.iter_rules()
        if "GET" in (rule.methods or set())
        and not rule.rule.startswith("/api/")
        and not rule.rule.startswith("/_test/")  # pages that only browser tests register
    }
    unknown = sorted(routes - PAGES.keys() - NOT_PAGES.keys())
    assert not unknown, (
        "pagina's zonder toegankelijkheidscontrole: voeg een axe-core-test toe in tests/browser "
        f"en zet de route in PAGES, of zet hem met reden in NOT_PAGES: {unknown}"
    )
    stale = sorted((PAGES.keys() | NOT_PAGES.keys()) - routes)
    assert not stale, f"routes die niet (meer) bestaan: {stale}"
    for route, test_file in PAGES.items():
        # This file's own lists do not count as a visit.
        text = (BROWSER_TESTS / test_file).read_text(encoding="utf-8").split(LISTS)[0]
        assert "check_accessibility" in text, test_file
        marker = MARKERS.get(route, route.split("<")[0])
        assert marker in text, f"{test_file} bezoekt {route} niet"

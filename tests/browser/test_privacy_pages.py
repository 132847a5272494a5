"""The privacy officer's pages in a real browser: accessible (axe-core, WCAG 2.1 AA) in their
plain, searched and error states; a BSN search that never shows the BSN in the address bar;
an export that downloads."""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest

from app.auth.crypto import pseudonym
from app.db import Database
from tests.browser.support import check_accessibility, leave_focus, screenshot
from tests.privacy.test_views import (  # noqa: F401 - case_with_consents is a fixture
    BSN,
    case_with_consents,
    people,
    seed_audit,
    seed_processing,
)
from tests.support.orgs import PASSWORD


@pytest.fixture
def settings(settings: Any) -> Any:
    """The second factor is tested in tests/auth; here the officer logs in with a password."""
    return dataclasses.replace(settings, totp_roles=frozenset())


@pytest.fixture
def app(app: Any, db: Database, settings: Any) -> Any:
    from app.privacy.views import register_privacy

    if "privacy" not in app.blueprints:
        register_privacy(app)
    people(db)
    seed_processing(db, settings.secret_key)
    seed_audit(db)
    return app


def log_in(page: Any, base: str, target: str) -> None:
    page.goto(f"{base}/inloggen?volgende={target}")
    page.get_by_label("Gebruikersnaam").fill("pia")
    page.get_by_label("Wachtwoord").fill(PASSWORD)
    page.get_by_role("button", name="Inloggen").click()
    page.wait_for_url(f"{base}{target}")


def test_processing_log_page(live_server: str, page: Any, console: Any, settings: Any) -> None:
    console.allow(r"status of 422")  # the page with the wrong field answers 422, on purpose
    log_in(page, live_server, "/privacy/verwerkingen")
    assert page.title() == "Verwerkingen – Stroom"
    assert page.locator("nav[aria-label='Privacy'] a[aria-current='page']").inner_text() == (
        "Verwerkingen"
    )
    assert page.locator("table tbody tr").count() == 5
    check_accessibility(page, "privacy-verwerkingen")
    screenshot(page, "privacy-verwerkingen")

    # A BSN: searched as its pseudonym, never in the address bar or on the page.
    page.get_by_label("BSN", exact=True).check()
    page.locator("#veld-betrokkene").fill(BSN)
    page.get_by_role("button", name="Zoeken").click()
    page.wait_for_url("**pseudoniem=*")
    assert BSN not in page.url
    assert pseudonym(settings.secret_key, "bsn", BSN) in page.url
    assert page.locator("table tbody tr").count() == 1
    assert BSN not in page.content()
    leave_focus(page)
    check_accessibility(page, "privacy-verwerkingen-betrokkene")
    screenshot(page, "privacy-verwerkingen-betrokkene")

    with page.expect_download() as download:
        page.get_by_role("link", name="Exporteren als CSV").click()
    assert download.value.suggested_filename.startswith("verwerkingen-")
    assert download.value.suggested_filename.endswith(".csv")

    # A wrong field: the error summary gets focus and links to the field.
    page.locator("#veld-trace").fill("niet-hex")
    page.get_by_role("button", name="Zoeken").click()
    assert page.title() == "Fout: Verwerkingen – Stroom"
    page.wait_for_function("() => document.activeElement?.id === 'foutoverzicht'")
    page.locator("#foutoverzicht a").click()
    assert page.evaluate("() => document.activeElement.id") == "veld-trace"
    check_accessibility(page, "privacy-verwerkingen-fout")
    screenshot(page, "privacy-verwerkingen-fout")


def test_audit_log_page(live_server: str, page: Any) -> None:
    log_in(page, live_server, "/privacy/audit")
    assert page.title() == "Auditlog – Stroom"
    page.locator("#veld-actor").fill("anna")
    page.get_by_role("button", name="Zoeken").click()
    page.wait_for_url("**actor=anna*")
    assert page.locator("table tbody tr").count() == 2
    leave_focus(page)
    check_accessibility(page, "privacy-audit")
    screenshot(page, "privacy-audit")


def test_consent_page(live_server: str, page: Any, case_with_consents: str) -> None:  # noqa: F811
    log_in(page, live_server, "/privacy/toestemmingen")
    page.get_by_label("Zaak", exact=True).fill("T-9")
    page.get_by_role("button", name="Toestemmingen tonen").click()
    page.wait_for_url(f"**/privacy/toestemmingen/{case_with_consents}")
    assert page.locator("h1").inner_text() == "Toestemmingen van zaak T-9"
    assert page.locator("table tbody tr").count() == 2
    leave_focus(page)
    check_accessibility(page, "privacy-toestemmingen")
    screenshot(page, "privacy-toestemmingen")

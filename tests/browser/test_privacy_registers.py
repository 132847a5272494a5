"""Acceptance of the privacy officer's registers (issue 22) in a real browser: a breach is
recorded, its 24-hour task appears, the partners are informed, the register is exported; a data
subject's request is registered, forwarded and answered within its month. axe-core at zero,
screenshots at phone and desktop width."""

from __future__ import annotations

from typing import Any

from tests.browser.support import check_accessibility, leave_focus, screenshot
from tests.browser.test_privacy_pages import (  # noqa: F401 - fixtures
    app,
    log_in,
    settings,
)
from tests.privacy.test_views import BSN

BREACH = {
    "veld-nature": "Een lijst met adressen is naar de verkeerde partner gemaild.",
    "veld-subject_categories": "Huurders met een achterstand",
    "veld-data_kinds": "Naam en adres",
    "veld-protection": "Niet versleuteld",
    "veld-contact": "Privacyfunctionaris",
    "veld-consequences": "Adressen bij een partner die ze niet mocht hebben",
    "veld-measures": "De ontvanger heeft de e-mail gewist",
}


def both_widths(page: Any, name: str) -> None:
    leave_focus(page)  # no focus ring left on the link just used
    for width, height in ((1366, 768), (390, 844)):
        page.set_viewport_size({"width": width, "height": height})
        overflow = page.evaluate(
            "() => document.documentElement.scrollWidth - document.documentElement.clientWidth"
        )
        assert overflow <= 0, (name, width, overflow)
        check_accessibility(page, f"{name}-{width}")
        screenshot(page, f"{name}-{width}")
    page.set_viewport_size({"width": 1366, "height": 768})


def test_a_breach_from_record_to_export(live_server: str, page: Any, clock: Any) -> None:
    log_in(page, live_server, "/privacy/datalekken")
    for field, text in BREACH.items():
        page.locator(f"#{field}").fill(text)
    page.get_by_role("button", name="Datalek registreren").click()
    page.wait_for_url("**/privacy/datalekken/*")
    assert "Datalek DL-2026-0001" in page.title()
    both_widths(page, "privacy-datalek")

    page.goto(f"{live_server}/privacy/taken")
    row = page.locator("tr", has_text="Partners inlichten (binnen 24 uur)")
    assert row.count() == 1
    assert "3 mrt 2026" in row.inner_text()  # discovered 2 March 09:00: due a day later
    both_widths(page, "privacy-te-doen")
    row.get_by_role("link", name="DL-2026-0001").click()

    page.get_by_label("Wie is ingelicht").fill("Ymere en Elan Wonen")
    page.get_by_role("button", name="Inlichten vastleggen").click()
    page.wait_for_url("**/privacy/datalekken/*")
    assert "Ymere en Elan Wonen" in page.locator("dl").inner_text()
    page.get_by_role("link", name="Datalekken").click()
    with page.expect_download() as download:
        page.get_by_role("link", name="Exporteren als CSV").click()
    text = open(download.value.path(), encoding="utf-8-sig").read()
    assert "DL-2026-0001" in text and "Ymere en Elan Wonen" in text
    both_widths(page, "privacy-datalekregister")


def test_a_subject_request_answered_within_its_month(
    live_server: str, page: Any, clock: Any
) -> None:
    log_in(page, live_server, "/privacy/verzoeken")
    both_widths(page, "privacy-verzoeken")
    page.get_by_label("Soort verzoek").select_option("inzage")
    page.get_by_label("BSN van de betrokkene").fill(BSN)
    page.get_by_label("Omschrijving").fill("Wil weten welke gegevens er over haar zijn")
    page.get_by_label("Doorsturen naar").fill("Ymere")
    page.get_by_role("button", name="Verzoek registreren").click()
    page.wait_for_url("**/privacy/verzoeken/*")
    assert BSN not in page.content()
    details = page.locator("dl").inner_text()
    assert "2 apr 2026" in details  # received 2 March: answered by 2 April
    assert "9 mrt 2026" in details  # forwarded within 5 working days
    both_widths(page, "privacy-verzoek")
    page.get_by_role("button", name="Doorgestuurd naar Ymere").click()
    page.get_by_label("Antwoord").fill("Overzicht van de verwerkingen gestuurd")
    page.get_by_role("button", name="Antwoord vastleggen").click()
    page.wait_for_url("**/privacy/verzoeken/*")
    assert "Overzicht van de verwerkingen gestuurd" in page.locator("dl").inner_text()
    page.get_by_role("link", name="Te doen").click()
    assert "Er staat niets open." in page.content()

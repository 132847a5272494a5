"""The page with Weert's results for the periodic review (/weert/resultaten): axe-core and
screenshots at phone and desktop width, with figures and with a refused period."""

from __future__ import annotations

from typing import Any

from app.db import Database
from tests.browser.support import check_accessibility, leave_focus, screenshot
from tests.browser.test_every_page import log_in


def test_weert_results_page(
    live_server: str, page: Any, console: Any, db: Database, clock: Any, settings: Any
) -> None:
    from tests.processes.test_weert_results import review
    from tests.processes.test_weert_routes import ADMIN

    console.allow(r"status of 422")  # the month "maart" is refused with 422, on purpose
    review(db, clock, settings)
    log_in(page, live_server, f"{ADMIN}.medewerker", "/weert/resultaten?van=2026-03")
    page.goto(f"{live_server}/weert/resultaten?van=2026-03&tot=2026-04")
    assert page.title() == "Resultaten Weert maart 2026 t/m april 2026 – Stroom"
    table = page.get_by_role("table", name="Resultaten maart 2026 t/m april 2026")
    row = table.get_by_role("row", name="Signalen van de corporaties (stap 2)")
    assert row.get_by_role("cell").inner_text() == "5"
    for width, height in ((1366, 900), (390, 844)):
        page.set_viewport_size({"width": width, "height": height})
        leave_focus(page)
        check_accessibility(page, f"weert-resultaten-{width}")
        screenshot(page, f"weert-resultaten-{width}")

    page.get_by_label("Eerste maand").fill("maart")
    page.get_by_role("button", name="Tonen").click()
    assert page.title().startswith("Fout: ")
    leave_focus(page)
    check_accessibility(page, "weert-resultaten-fout")
    screenshot(page, "weert-resultaten-fout-390")

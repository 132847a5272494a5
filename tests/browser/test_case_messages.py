"""The case page's messages in a real browser: the corporation reports a waiting case now
(Haarlem art. 3.4, message `nu_melden`) with a button; accessible (axe-core, WCAG 2.1 AA) at
phone and desktop widths, before and after."""

from __future__ import annotations

from typing import Any

from tests.browser.support import check_accessibility, screenshot
from tests.cases.test_case_messages import BUTTON
from tests.cases.test_case_messages import h as h  # noqa: F401 - the fixture
from tests.processes.haarlem_preventie_support import Haarlem
from tests.support.orgs import PASSWORD


def test_report_now_from_the_case_page(live_server: str, page: Any, h: Haarlem) -> None:  # noqa: F811
    case = h.sim.instance("W-1").id
    target = f"/zaken/{case}"
    page.goto(f"{live_server}/inloggen?volgende={target}")
    page.get_by_label("Gebruikersnaam").fill("cor")
    page.get_by_label("Wachtwoord").fill(PASSWORD)
    page.get_by_role("button", name="Inloggen").click()
    page.wait_for_url(f"{live_server}{target}")

    heading = page.get_by_role("heading", name="Berichten aan het proces")
    assert heading.is_visible()
    for width, height in ((390, 844), (1280, 900)):
        page.set_viewport_size({"width": width, "height": height})
        check_accessibility(page, f"zaak-berichten-{width}")
        screenshot(page, f"zaak-berichten-{width}", "zaak")

    page.get_by_role("button", name=BUTTON).click()
    page.wait_for_url(f"{live_server}{target}#berichten")
    assert page.get_by_text(f"Verstuurd: {BUTTON}.").is_visible()
    assert page.get_by_role("heading", name="Berichten aan het proces").count() == 0
    check_accessibility(page, "zaak-berichten-verstuurd")
    screenshot(page, "zaak-berichten-verstuurd", "zaak")
    h.sim.settle()
    assert h.open_tasks("W-1") == ["contact_opnemen"]

"""The data catalogue in a real browser (issue 20, acceptance 4): the process owner gives
the troubleshooter read access to the tenant's name in one more phase, the publish waits for
the privacy officer, who sees the widening in Dutch and approves it with a reason; then the
owner publishes. axe-core on every page; screenshots at 390 px and 1366 px."""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest
from sqlalchemy import select

from app.db import Database
from app.engine.models import ProcessVersion
from tests.browser.support import check_accessibility, screenshot
from tests.browser.test_manage_pages import log_in
from tests.support.engine import deploy_process
from tests.support.orgs import organisation, user

KEY = "haarlem_preventie"
WIDENING = "Troubleshooter mag veld naam voortaan ook lezen in fase bewaking."


@pytest.fixture
def settings(settings: Any) -> Any:
    """The second factor is tested in tests/auth; here the officer logs in with a password."""
    return dataclasses.replace(settings, totp_roles=frozenset())


@pytest.fixture
def owner_and_officer(db: Database) -> None:
    organisation(db, "stroom", "beheer", None)
    user(db, "ida", "stroom", roles=("procesbeheerder",), groups=())
    user(db, "pia", "stroom", roles=("privacyfunctionaris",), groups=())
    deploy_process(db, KEY)


def _both_widths(page: Any, name: str) -> None:
    for width in (1366, 390):
        page.set_viewport_size({"width": width, "height": 900})
        check_accessibility(page, f"{name}-{width}")
        screenshot(page, f"{name}-{width}")
    page.set_viewport_size({"width": 1366, "height": 900})


def _log_out(page: Any) -> None:
    page.get_by_role("button", name="Uitloggen").click()
    page.wait_for_url("**/inloggen**")


def test_a_wider_read_right_is_published_after_the_privacy_officer_approves(
    live_server: str, page: Any, db: Database, owner_and_officer: None
) -> None:
    catalogue = f"/processen/{KEY}/catalogus"
    log_in(page, live_server, "ida", catalogue)
    assert page.locator("#veld-naam").is_visible()
    _both_widths(page, "catalogus")
    page.get_by_role("link", name="Nieuw veld").click()
    page.wait_for_url(f"**{catalogue}/nieuw-veld")
    _both_widths(page, "catalogus-nieuw-veld")
    page.goto(f"{live_server}{catalogue}/instellingen")
    assert page.get_by_label("Waarde").first.input_value() == "2"
    _both_widths(page, "catalogus-instellingen")
    page.goto(f"{live_server}{catalogue}")

    page.get_by_role("link", name="naam", exact=True).click()
    page.wait_for_url(f"**{catalogue}/velden/naam")
    readers = page.locator("fieldset[data-recht='lezen-troubleshooter']")
    assert readers.get_by_label("Fase ontruiming").is_checked()
    assert not readers.get_by_label("Fase bewaking").is_checked()
    _both_widths(page, "catalogus-veld")
    readers.get_by_label("Fase bewaking").check()
    page.get_by_role("button", name="Opslaan in het concept").click()
    page.wait_for_url(f"**{catalogue}#veld-naam")
    assert WIDENING in page.locator("[data-verruimingen]").inner_text()

    page.get_by_label("Notitie bij deze versie").fill("Troubleshooter ziet de naam al bij bewaking")
    page.get_by_role("button", name="Publiceren als nieuwe versie").click()
    page.wait_for_url(f"**{catalogue}")
    assert page.locator("[data-goedkeuring='wacht']").is_visible()
    _both_widths(page, "catalogus-wacht-op-goedkeuring")
    with db.session() as session:
        assert list(session.scalars(select(ProcessVersion.version))) == [1]
    _log_out(page)

    log_in(page, live_server, "pia", "/privacy/taken")
    assert KEY in page.locator("[data-goedkeuringen]").inner_text()
    page.get_by_role("link", name="Goedkeuringen").click()
    page.wait_for_url("**/privacy/goedkeuringen")
    _both_widths(page, "privacy-goedkeuringen")
    page.get_by_role("link", name="Preventie huisuitzettingen Haarlem (op versie 1)").click()
    page.wait_for_url("**/privacy/goedkeuringen/*")
    assert WIDENING in page.locator("[data-verruimingen]").inner_text()
    _both_widths(page, "privacy-goedkeuring")
    page.get_by_label("Reden van uw besluit").fill("Art. 8.1: de troubleshooter belt al eerder")
    page.get_by_role("button", name="Goedkeuren").click()
    page.wait_for_url("**/privacy/goedkeuringen")
    assert "goedgekeurd" in page.locator("table").last.inner_text()
    _log_out(page)

    log_in(page, live_server, "ida", catalogue)
    assert page.locator("[data-goedkeuring='goedgekeurd']").is_visible()
    page.get_by_label("Notitie bij deze versie").fill("Troubleshooter ziet de naam al bij bewaking")
    page.get_by_role("button", name="Publiceren als nieuwe versie").click()
    page.wait_for_url(f"**/processen/{KEY}/versies")
    assert "Gepubliceerd: versie 2" in page.content()
    with db.session() as session:
        newest = session.scalar(select(ProcessVersion).where(ProcessVersion.version == 2))
        assert newest is not None
        # In the catalogue's order of phases.
        assert newest.catalogue["velden"]["naam"]["lezen"]["troubleshooter"] == [
            "bewaking",
            "stagnatie",
            "ontruiming",
        ]

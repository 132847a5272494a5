"""Repair by people (issue 19, acceptance 4) in a real browser: a case stopped at a script
because a value is missing; a team lead of the treating organisation opens the incident from
Storingen, reads what is wrong, adds the value with a reason and retries; the case goes on,
and the history, the audit log and the processing log say who did what and why. Accessible
(axe-core) with and without a form error; screenshots at 390 and 1366 px wide."""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from app.auth.principal import SYSTEM
from app.cases.service import start_case
from app.db import Database
from app.engine.models import HumanTask, Incident, ProcessInstance
from app.privacy.models import AuditLog, ProcessingLog
from tests.browser.support import check_accessibility, screenshot
from tests.browser.test_manage_pages import log_in
from tests.manage.support import people
from tests.support.engine import deploy_paths

HERSTEL = Path(__file__).resolve().parents[1] / "manage" / "fixtures" / "herstel.bpmn"
REASON = "Aantal maanden telefonisch nagevraagd bij de huurder"


@pytest.fixture
def settings(settings: Any) -> Any:
    return dataclasses.replace(settings, totp_roles=frozenset())


@pytest.fixture
def case(db: Database, clock: Any) -> str:
    people(db)
    deploy_paths(db, HERSTEL)
    with db.transaction() as session:
        row = start_case(
            session,
            SYSTEM,
            "test_herstel",
            business_key="H-1",
            data={"bedrag": 600},  # without `maanden`: 'Maandbedrag berekenen' fails
            municipality="weert",
            parties={"behandelaar": "weert-sdv"},
        )
        return row.id


@pytest.fixture
def app(app: Any, case: str) -> Any:
    from app.manage import register_manage

    if "manage" not in app.blueprints:
        register_manage(app)
    return app


def both_widths(page: Any, name: str) -> None:
    for width in (390, 1366):
        page.set_viewport_size({"width": width, "height": 900})
        check_accessibility(page, f"{name}-{width}")
        screenshot(page, f"{name}-{width}")


def test_an_operator_adds_the_missing_value_and_the_case_goes_on(
    live_server: str, page: Any, console: Any, db: Database, case: str
) -> None:
    console.allow(r"status of 422")  # the wrong value answers 422, on purpose
    # The case page says the case stands still, and why, in plain words.
    log_in(page, live_server, "teun", f"/zaken/{case}")
    box = page.locator("[data-storing]")
    assert "Deze zaak staat stil door een storing" in box.inner_text()
    both_widths(page, "zaak-met-storing")
    # The team lead's inbox signals it, with the way to Storingen.
    page.goto(f"{live_server}/taken")
    signal = page.locator("[data-signaal='storingen']")
    assert "1 zaak staat stil door een storing" in signal.inner_text()
    both_widths(page, "taken-signaal-storing")
    signal.get_by_role("link", name="Bekijk en herstel de storingen").click()
    page.wait_for_url(f"{live_server}/processen/storingen#per-zaak")
    page.get_by_role("link", name=re.compile(r"^H-1\b.*storing bekijken en herstellen")).click()
    page.wait_for_url(
        re.compile(rf"{re.escape(live_server)}/processen/instanties/{case}/storingen/\d+$")
    )
    assert page.title() == "Storing bij ‘Maandbedrag berekenen’ (zaak H-1) – Stroom"
    what = page.locator(".utrecht-alert").first
    assert "Een gegeven dat deze stap gebruikt is leeg: ‘Aantal maanden van de regeling’." in (
        what.inner_text()
    )
    # The technical text is folded away until asked for.
    technical = page.locator("details pre")
    assert not technical.is_visible()
    page.get_by_text("Technische details (voor de beheerder)").click()
    assert "NoneType" in technical.inner_text()
    both_widths(page, "storing-herstellen")

    # A wrong value: refused at its field, with the catalogue's words; nothing happens.
    field = page.get_by_label("Aantal maanden van de regeling")
    field.fill("-2")
    page.get_by_label("Reden", exact=False).first.fill(REASON)
    page.get_by_role("button", name="Opnieuw proberen").click()
    page.wait_for_selector(".utrecht-textbox--invalid")
    assert page.title().startswith("Fout: ")
    assert page.locator("#foutoverzicht").get_by_text("moet minstens 1 zijn").count() == 1
    both_widths(page, "storing-herstellen-fout")
    with db.session() as session:
        assert session.get(Incident, 1).status == "open"

    page.get_by_label("Aantal maanden van de regeling").fill("6")
    page.get_by_label("Reden", exact=False).first.fill(REASON)
    page.get_by_role("button", name="Opnieuw proberen").click()
    page.wait_for_url(f"{live_server}/processen/instanties/{case}")
    assert page.get_by_text("Hersteld: ‘Maandbedrag berekenen’ is opnieuw uitgevoerd").is_visible()
    open_tasks = page.locator("#taken + * tbody, table:has(caption:text('Open taken')) tbody")
    seen = open_tasks.first.inner_text()
    assert "Huurder bellen" in seen and "Brief sturen" in seen
    history = page.locator("table:has(caption:text('Geschiedenis')) tbody").inner_text()
    assert "Gegevens aangevuld voor een storing" in history and "\tteun\t" in history
    assert REASON in history
    both_widths(page, "storing-hersteld")

    # Then moved on by hand: the call was already made, go on at the home visit. The dry run
    # shows what stops, what starts and what stays; only the confirmation does it.
    page.get_by_role("link", name="Zaak verplaatsen naar een andere stap").click()
    page.wait_for_url(f"{live_server}/processen/instanties/{case}/verplaatsen")
    page.get_by_label("Huurder bellen").check()
    page.get_by_label("Verder bij").select_option("huisbezoek")
    page.get_by_label("Reden", exact=False).fill("Huurder is al gebeld door de corporatie")
    page.get_by_role("button", name="Bekijk wat er verandert").click()
    page.wait_for_selector("#proef")
    plan = page.locator("dl").first.inner_text()
    assert "Huurder bellen" in plan and "Huisbezoek" in plan and "Brief sturen" in plan
    both_widths(page, "zaak-verplaatsen-proef")
    page.get_by_role("button", name="Bevestigen en verplaatsen").click()
    page.wait_for_url(f"{live_server}/processen/instanties/{case}")
    assert page.get_by_text("Verplaatst: de zaak gaat verder bij ‘Huisbezoek’.").is_visible()

    with db.session() as session:
        row = session.get(ProcessInstance, case)
        assert row.status == "waiting" and row.data["maandbedrag"] == 100
        assert sorted(
            session.scalars(
                select(HumanTask.element_id).where(
                    HumanTask.instance_id == case, HumanTask.status == "open"
                )
            )
        ) == ["brief", "huisbezoek"]
        audit = session.scalars(
            select(AuditLog).where(AuditLog.action == "proces.storing_herstellen")
        ).one()
        assert audit.actor == "user:teun" and audit.details["reden"] == REASON
        assert audit.details["velden"] == ["maanden"]
        processing = session.scalars(
            select(ProcessingLog).where(ProcessingLog.name == "casusgegevens vastleggen")
        ).one()
        assert processing.data_subject_type == "zaak" and REASON in processing.attributes["doel"]

"""A process owner changes a process in the web modeller (issue 20, acceptance 1), in a real
browser: opens the process, adds a service task from an element template, sets its input,
sees the validation marker for a variable no path writes, fixes it and publishes with a note.
A new case runs the new version; a running case stays on its version until it is migrated
after a dry run. axe-core on every page; screenshots of the modeller, the validation, the
version list (390 px) and the migration dry run (1366 px)."""

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
from app.engine import service
from app.engine.jobs import run_due_jobs
from app.engine.models import Job
from tests.browser.support import check_accessibility, screenshot
from tests.browser.test_manage_pages import log_in
from tests.support.engine import FIXTURES, deploy_paths, instance, open_tasks
from tests.support.orgs import organisation, user

NOTE = "Bedrag na de beoordeling nogmaals verrijken"


TOEZICHT = Path(__file__).resolve().parents[1] / "manage" / "fixtures" / "toezicht.bpmn"
# The server's catalogue already names the step the process owner adds (`nogmaals`, in phase
# behandeling), the field it writes and the system it asks: the running version 1 does not
# have the step yet; every case starts with an amount. (The catalogue is not edited in the
# modeller.)
CATALOGUE_CHANGES = (
    (
        "behandeling: [gestart, registreren, beoordelen,",
        "behandeling: [gestart, registreren, beoordelen, nogmaals,",
    ),
    (
        "velden:\n",
        "velden:\n  verdubbeld:\n    omschrijving: Het dubbele bedrag\n    categorie: financieel\n"
        "    type: bedrag\n    doel: beoordelen van de melding\n    grondslag: publieke_taak\n"
        '    bewaartermijn: P6M\n    voorbeeld: 1700\n    lezen: {behandelaar: "*"}\n',
    ),
    ("systemen:\n", "systemen:\n  test.echo: {lezen: [bedrag], schrijven: [verdubbeld]}\n"),
    ("instellingen:\n", "start: {verplicht: [bedrag]}\ninstellingen:\n"),
)


@pytest.fixture
def server_files(tmp_path: Path) -> Path:
    folder = tmp_path / "bpmn"
    folder.mkdir()
    catalogue = TOEZICHT.with_name("toezicht.catalogus.yaml").read_text()
    for old, new in CATALOGUE_CHANGES:
        assert old in catalogue, old
        catalogue = catalogue.replace(old, new, 1)
    (folder / "toezicht.catalogus.yaml").write_text(catalogue)
    return folder


@pytest.fixture
def settings(settings: Any, server_files: Path) -> Any:
    return dataclasses.replace(
        settings, totp_roles=frozenset(), bpmn_dir=server_files, forms_dir=FIXTURES
    )


@pytest.fixture
def running(db: Database, clock: Any, settings: Any) -> str:
    """Version 1 of test_toezicht, with a case of Weert waiting at 'Beoordelen'; Weert's
    process owner owns the process (only Weert works with it)."""
    organisation(db, "weert-sdv", "gemeente", "weert")
    organisation(db, "weert-beheer", "gemeente", "weert")
    user(db, "ida", "weert-beheer", roles=("procesbeheerder",), groups=())
    deploy_paths(db, TOEZICHT)
    instance_id = start(db, "test_toezicht", "OUD-1", {"bedrag": 850})
    assert run_due_jobs(db, settings, "w") == 1
    assert instance(db, instance_id).status == "waiting"
    return instance_id


def settled(page: Any) -> None:
    """The modeller has checked the latest change (the dry run answered)."""
    page.wait_for_function(
        "() => { const r = document.querySelector('[data-stroom-modeller]');"
        " return r.dataset.gecontroleerd && !r.dataset.bezig; }"
    )


def start(db: Database, key: str, business_key: str, data: dict[str, Any]) -> str:
    """A case of Weert, whose team plays the party `behandelaar`."""
    with db.transaction() as session:
        row = start_case(
            session,
            SYSTEM,
            key,
            business_key=business_key,
            data=data,
            municipality="weert",
            parties={"behandelaar": "weert-sdv"},
        )
        return row.id


def test_a_process_owner_adds_a_step_and_migrates_a_case(
    live_server: str, page: Any, console: Any, db: Database, running: str, settings: Any
) -> None:
    page.set_viewport_size({"width": 1366, "height": 900})
    log_in(page, live_server, "ida", "/processen/overzicht")
    page.get_by_role("link", name="bewerken van Procesbewaking (test)").click()
    page.wait_for_url(f"{live_server}/processen/test_toezicht/bewerken")
    page.wait_for_selector("[data-stroom-modeller][data-gecontroleerd]")
    # The server's catalogue already names the step the diagram lacks: the list says so.
    assert "onbekend element 'nogmaals'" in page.locator("[data-modeller-problems]").inner_text()
    check_accessibility(page, "modeller")
    screenshot(page, "modeller-open-1366")

    # Make room after 'Beoordelen' with the space tool, then drop a new task on the flow.
    def middle(element: str) -> tuple[float, float]:
        box = page.locator(f'.djs-element[data-element-id="{element}"]').bounding_box()
        return box["x"] + box["width"] / 2, box["y"] + box["height"] / 2

    x, y = middle("f3")
    page.locator(".djs-palette .entry.bpmn-icon-space-tool").click()
    page.mouse.move(x, y + 150)
    page.mouse.down()
    page.mouse.move(x + 160, y + 150, steps=12)
    page.mouse.up()
    x, y = middle("f3")
    page.locator(".djs-palette .entry.bpmn-icon-task").click()
    page.mouse.move(x - 20, y, steps=5)
    page.mouse.move(x, y, steps=5)
    page.mouse.click(x, y)
    page.keyboard.type("Nogmaals verrijken")
    canvas = page.locator("[data-modeller-canvas]").bounding_box()
    page.mouse.click(canvas["x"] + canvas["width"] - 150, canvas["y"] + canvas["height"] - 80)
    settled(page)
    # Select it and make it a service task (context pad, 'Element wijzigen').
    task = page.locator(".djs-element.djs-shape", has_text="Nogmaals verrijken")
    box = task.locator(".djs-hit").bounding_box()
    # (The canvas takes the focus with the first click after editing a label: click again.)
    pad = page.locator('.djs-context-pad.open .entry[data-action="replace"]')
    for _attempt in range(3):
        page.mouse.click(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
        if pad.is_visible():
            break
        page.wait_for_timeout(300)
    pad.click()
    page.locator('.djs-popup [data-id="replace-with-service-task"]').click()
    # Its id is the one the catalogue names.
    panel = page.locator("[data-modeller-panel]")
    panel.get_by_text("Algemeen", exact=True).click()
    panel.locator("#bio-properties-panel-id").fill("nogmaals")
    panel.locator("#bio-properties-panel-id").press("Tab")
    # The element template of the handler test.echo: topic, input and output in one go.
    panel.get_by_role("button", name="Kiezen").click()
    chooser = page.locator(".cmd-change-menu, .djs-popup").last
    chooser.locator("input").fill("test.echo")
    chooser.get_by_text("test.echo", exact=True).first.click()
    # The template's input reads `waarde`, which no path writes: the check marks the task.
    settled(page)
    assert page.locator("[data-stroom-modeller]").get_attribute("data-problemen") == "2"
    marked = page.locator('.djs-element.stroom-probleem[data-element-id="nogmaals"]')
    assert marked.count() == 1
    problems = page.locator("[data-modeller-problems] li")
    assert "waarde" in problems.first.inner_text()
    assert page.get_by_role("button", name="Publiceren als nieuwe versie").is_disabled()
    check_accessibility(page, "modeller-validatie")
    screenshot(page, "modeller-validatie-1366")

    # Fixed: the input is the amount of the case.
    panel.get_by_text("Eigen eigenschappen", exact=True).click()
    panel.get_by_label("Invoer: waarde").fill("${bedrag}")
    panel.get_by_label("Invoer: waarde").press("Tab")
    settled(page)
    assert page.locator("[data-stroom-modeller]").get_attribute("data-problemen") == "0"
    assert marked.count() == 0
    assert "Geen problemen" in page.locator("[data-modeller-count]").inner_text()
    screenshot(page, "modeller-1366")
    # Saved as a draft and opened again: the modeller shows the draft, still without problems.
    page.get_by_role("button", name="Concept opslaan").click()
    page.wait_for_selector("[data-concept]")
    assert "Concept opgeslagen" in page.locator("main").inner_text()
    page.wait_for_selector("[data-stroom-modeller][data-gecontroleerd]")
    assert page.locator("[data-stroom-modeller]").get_attribute("data-problemen") == "0"
    # Before publishing: the difference with version 1, coloured on the diagram.
    added = page.locator("[data-modeller-diff] li[data-verschil='toegevoegd']").all_inner_texts()
    assert "Toegevoegd: Nogmaals verrijken (nogmaals)" in added
    changed = page.locator("[data-modeller-diff] li[data-verschil='gewijzigd']").all_inner_texts()
    assert "Gewijzigd: f3: naar" in changed  # the flow now ends at the new step
    assert page.locator('.djs-shape.stroom-toegevoegd[data-element-id="nogmaals"]').count() == 1
    page.locator("[data-modeller-diff]").scroll_into_view_if_needed()
    screenshot(page, "modeller-verschil-1366")
    page.get_by_label("Notitie bij deze versie").fill(NOTE)
    page.get_by_role("button", name="Publiceren als nieuwe versie").click()
    page.wait_for_url(f"{live_server}/processen/test_toezicht/versies")
    assert "Gepubliceerd: versie 2" in page.locator("main").inner_text()
    page.set_viewport_size({"width": 390, "height": 900})
    check_accessibility(page, "versies-390")
    screenshot(page, "versies-390")

    # A new case runs version 2; the running case stays on version 1.
    new = start(db, "test_toezicht", "NIEUW-1", {"bedrag": 400})
    assert instance(db, new).version.version == 2
    assert instance(db, running).version.version == 1

    # Migrating the running case: the mapping, a dry run, then confirm.
    page.set_viewport_size({"width": 1366, "height": 900})
    page.get_by_role("link", name="Zaken migreren van versie 1").click()
    page.wait_for_url(re.compile(r".*/processen/test_toezicht/migreren\?van=1"))
    assert page.get_by_label("Beoordelen").input_value() == "beoordelen"  # kept its id
    assert "Nieuw in versie 2: Nogmaals verrijken." in page.locator("main").inner_text()
    check_accessibility(page, "migreren")
    page.get_by_label("Reden").fill("Nieuwe stap na de beoordeling")
    page.get_by_role("button", name="Proefdraai: bekijk wat er gebeurt").click()
    dry_run = page.locator("[data-proefdraai] li").all_inner_texts()
    assert dry_run == ["Zaak OUD-1: Beoordelen → Beoordelen. Kan verhuizen."]
    assert instance(db, running).version.version == 1  # a dry run changes nothing
    check_accessibility(page, "migreren-proefdraai")
    screenshot(page, "migreren-proefdraai-1366")
    page.set_viewport_size({"width": 390, "height": 900})
    check_accessibility(page, "migreren-proefdraai-390")
    screenshot(page, "migreren-proefdraai-390")
    page.set_viewport_size({"width": 1366, "height": 900})
    page.get_by_role("button", name=re.compile("Bevestigen en 1 zaak")).click()
    page.wait_for_url(f"{live_server}/processen/test_toezicht/versies")
    assert "1 zaak/zaken gemigreerd naar versie 2" in page.locator("main").inner_text()
    assert instance(db, running).version.version == 2

    # Both cases now take the new step after the assessment.
    assert run_due_jobs(db, settings, "w") == 1  # the new case's first step
    for instance_id in (running, new):
        [task] = open_tasks(db, instance_id)
        with db.transaction() as session:
            service.complete_task(session, task.id, {"akkoord": False}, "piet")
        with db.session() as session:
            steps = session.scalars(select(Job.element_id).where(Job.instance_id == instance_id))
            assert "nogmaals" in set(steps), instance_id

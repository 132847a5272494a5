"""The form editor of a process owner (issue 20, acceptance 4), in a real browser: every form of
forms/ opened in form-js's editor and saved without edits is the same form, and the page offers
nothing to publish. axe-core on the editor; a screenshot at 1366 px."""

from __future__ import annotations

import json
from typing import Any

import pytest
from sqlalchemy import select

from app.db import Database
from app.engine.deploy import deploy
from app.engine.models import ProcessDefinition, ProcessVersion
from app.tasks.forms import accepted_kinds
from tests.browser.support import ROOT, check_accessibility, screenshot, wait_for
from tests.browser.test_manage_pages import log_in
from tests.support.orgs import organisation, user


@pytest.fixture
def settings(settings: Any) -> Any:
    """Opening all of the forms one after another checks each of them: more dry runs than a
    person makes in a minute (the budget itself: tests/modelling/test_modeller_pages.py)."""
    from dataclasses import replace

    return replace(settings, modeller_check_limit="1000 per minute")


@pytest.fixture
def every_process(db: Database, clock: Any) -> None:
    """Every process of bpmn/ with its forms, and a process owner of the installation itself
    (who owns every process)."""
    organisation(db, "stroom", "beheer", None)
    user(db, "ida", "stroom", roles=("procesbeheerder",), groups=())
    with db.transaction() as session:
        deploy(session, [ROOT / "bpmn"], ROOT / "forms", actor="test")


def test_the_form_editor_round_trips_every_form_unchanged(
    live_server: str, page: Any, db: Database, every_process: None
) -> None:
    """Each form opened in the editor and saved without edits is the same form: form-js's
    editor adds, drops or changes nothing but the schema version it writes."""
    with db.session() as session:
        forms = [
            (key, name)
            for key, forms in session.execute(
                select(ProcessDefinition.key, ProcessVersion.forms).join(ProcessVersion.definition)
            )
            for name in sorted(forms or {})
        ]
    files = sorted(p.name for p in (ROOT / "forms").glob("*.form"))
    assert sorted(name for _key, name in forms) == files  # every file belongs to a process
    log_in(page, live_server, "ida", "/processen/overzicht")
    for number, (key, name) in enumerate(forms):
        page.goto(f"{live_server}/processen/{key}/formulieren/{name}")
        wait_for(page, "[data-stroom-form-editor][data-gecontroleerd]")
        saved = page.evaluate("() => window.stroomFormEditor.saveSchema()")
        original = json.loads((ROOT / "forms" / name).read_text(encoding="utf-8"))
        # The editor writes its own schema version (19 for 16): the only difference it makes.
        assert saved.pop("schemaVersion") >= original.pop("schemaVersion"), name
        assert saved == original, name
        assert (
            page.locator("[data-form-count]").inner_text() == "Geen problemen en niets veranderd."
        )
        assert page.get_by_role("button", name="Publiceren als nieuwe versie").is_disabled()
        if number == 0:
            check_accessibility(page, "formulierbewerker")
            screenshot(page, "formulierbewerker-1366")


def test_the_form_editor_names_its_groups_in_dutch_and_says_which_version_it_writes(
    live_server: str, page: Any, db: Database, every_process: None
) -> None:
    """form-js's editor offers no translation hook for its labels; the properties panel's
    groups come from providers, and ours names them in Dutch. The file says schemaVersion 16;
    an edited form is written in the editor's own version, and the page says so and why."""
    name = "utrecht_vh-beoordelen.form"
    log_in(page, live_server, "ida", f"/processen/utrecht_vh/formulieren/{name}")
    page.wait_for_selector("[data-stroom-form-editor][data-gecontroleerd]")
    notice = page.locator("[data-form-version]")
    assert notice.is_visible()
    assert "schemaversie 16" in notice.inner_text() and "schemaversie 19" in notice.inner_text()
    page.locator('.fjs-element[data-id="Field_wil_deelnemen"]').click()
    titles = page.locator(".bio-properties-panel-group-header-title").all_inner_texts()
    assert "Algemeen" in titles and "General" not in titles, titles
    # The palette's literal texts and the chosen field's property labels, in Dutch.
    palette = page.locator(".fjs-palette-container")
    assert palette.locator(".fjs-palette-header").inner_text() == "Onderdelen"
    assert palette.get_by_placeholder("Onderdelen zoeken").count() == 1
    groups = palette.locator(".fjs-palette-group-title").all_inner_texts()
    assert groups[:3] == ["Invoer", "Keuze", "Weergave"], groups
    names = palette.locator(".fjs-palette-field-text").all_inner_texts()
    assert "Tekstveld" in names and "Text field" not in names, names
    # Only what the server's check takes: no file, repeating group or computed field.
    offered = palette.locator(".fjs-palette-field").evaluate_all(
        "fields => fields.map(f => f.dataset.fieldType)"
    )
    assert set(offered) <= set(accepted_kinds()) and "textfield" in offered, offered
    assert not {"filepicker", "dynamiclist", "expression"} & set(offered), offered
    new_field = palette.locator('[data-field-type="textfield"]')
    assert new_field.get_attribute("title") == "Tekstveld toevoegen"
    page.locator(".bio-properties-panel-group-header-title", has_text="Algemeen").click()
    panel = page.locator(".fjs-properties-container")
    labels = panel.locator(".bio-properties-panel-label").all_inner_texts()
    assert "Label" in labels and "Sleutel" in labels and "Key" not in labels, labels
    assert "Field label" not in labels and "Field description" not in labels, labels
    checked = page.locator("[data-stroom-form-editor]").get_attribute("data-gecontroleerd")
    page.evaluate(
        """() => {
          const editor = window.stroomFormEditor;
          const field = editor.get('formFieldRegistry').get('Field_wil_deelnemen');
          editor.get('modeling').editFormField(field, 'label', 'Bewoner wil meedoen');
        }"""
    )
    page.wait_for_function(
        "n => document.querySelector('[data-stroom-form-editor]').dataset.gecontroleerd !== n",
        arg=checked,
    )
    saved = json.loads(page.locator('input[name="formulier"]').input_value())
    original = json.loads((ROOT / "forms" / name).read_text(encoding="utf-8"))
    assert saved["schemaVersion"] == 19 and original["schemaVersion"] == 16
    labels = {c.get("id"): c.get("label") for c in saved["components"]}
    assert labels["Field_wil_deelnemen"] == "Bewoner wil meedoen"
    assert not page.get_by_role("button", name="Publiceren als nieuwe versie").is_disabled()
    check_accessibility(page, "formulierbewerker-gewijzigd")
    screenshot(page, "formulierbewerker-gewijzigd-1366")
    page.set_viewport_size({"width": 390, "height": 900})
    # The editor needs more than a phone's width: it scrolls in its own box, not the page.
    widths = page.evaluate(
        "() => [document.documentElement.scrollWidth, window.innerWidth,"
        " document.querySelector('[data-form-canvas]').scrollWidth]"
    )
    assert widths[0] <= widths[1] < widths[2], widths
    check_accessibility(page, "formulierbewerker-gewijzigd-390")
    screenshot(page, "formulierbewerker-gewijzigd-390")

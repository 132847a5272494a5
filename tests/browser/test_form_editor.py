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
from tests.browser.support import ROOT, check_accessibility, screenshot
from tests.browser.test_manage_pages import log_in
from tests.support.orgs import organisation, user


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
        page.wait_for_selector("[data-stroom-form-editor][data-gecontroleerd]")
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

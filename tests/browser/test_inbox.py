"""The inbox in a real browser: claim, validate, complete, next task; distribute; report by
hand; keyboard only; accessibility of every page; what another organisation sees."""

from __future__ import annotations

import re
from typing import Any

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from app.engine.models import HumanTask, ProcessInstance
from app.intake.service import prepare, receive
from tests.browser.support import check_accessibility, screenshot
from tests.cases.support import signal
from tests.support.engine import FIXTURES, deploy_paths
from tests.support.orgs import PASSWORD, bind, organisation, partner, user

SECRET = "browser-secret"


@pytest.fixture
def world(db, clock, app) -> dict[str, Any]:
    deploy_paths(db, FIXTURES / "inbox.bpmn")
    corporation = partner(db, "wonen-limburg", "test_inbox")
    organisation(db, "weert-swt", "wijkteam")
    organisation(db, "haarlem-swt", "wijkteam", "haarlem")
    bind(db, "test_inbox", "weert", "wijkteam", "weert-swt")
    user(db, "sanne", "weert-swt")
    user(db, "samir", "weert-swt")
    user(db, "tineke", "weert-swt", roles=("behandelaar", "teamleider"))
    user(db, "marieke", "wonen-limburg")
    user(db, "henk", "haarlem-swt")
    secret = app.extensions["stroom"].settings.secret_key
    with db.transaction() as session:
        receive(
            session,
            prepare(session, corporation, secret),
            [(n, signal(n, months=3 if n == 2 else 2)) for n in range(1, 6)],
            "api",
        )
    with db.session() as session:
        tasks = session.scalars(select(HumanTask).order_by(HumanTask.created_at)).all()
        keys = dict(session.execute(select(ProcessInstance.id, ProcessInstance.business_key)).all())
    return {"tasks": tasks, "keys": keys}


def login(page, live_server: str, username: str) -> None:  # type: ignore[no-untyped-def]
    page.goto(f"{live_server}/inloggen")
    page.get_by_label("Gebruikersnaam").fill(username)
    page.get_by_label("Wachtwoord").fill(PASSWORD)
    page.get_by_role("button", name="Inloggen").click()
    expect(page.get_by_role("button", name="Uitloggen")).to_be_visible()


def test_claim_validate_complete_and_land_on_the_next_task(live_server, page, world, db) -> None:
    login(page, live_server, "sanne")
    page.goto(f"{live_server}/taken?tab=groep")
    expect(page.get_by_role("link", name=re.compile("Groepstaken"))).to_contain_text("(5)")
    # The case with 3 months of arrears has the highest priority: first row.
    first = page.locator("#taken tbody tr").first
    expect(first).to_contain_text("Familie Jansen-2")
    check_accessibility(page, "inbox")
    screenshot(page, "inbox")
    first.get_by_role("link", name="Melding beoordelen").click()

    page.get_by_role("button", name="Claimen").click()
    expect(page.locator("#meldingen")).to_contain_text("op uw naam")
    page.get_by_label("Toelichting").fill("kort")
    page.get_by_label("Aantal bewoners").fill("3")
    page.get_by_role("button", name="Afronden").click()
    expect(page.locator(".fjs-form-field-error").first).to_be_visible()
    check_accessibility(page, "taak-met-fout")
    screenshot(page, "task")
    page.get_by_label("Toelichting").fill("Huurder gebeld, afspraak gemaakt.")
    page.get_by_role("button", name="Afronden").click()

    # Straight on to the next task in the same case.
    expect(page.get_by_role("heading", level=1)).to_have_text("Terugkoppelen aan de corporatie")
    expect(page.locator("#meldingen")).to_contain_text("is afgerond")
    page.get_by_label("Ja").check()
    page.get_by_role("button", name="Afronden").click()
    expect(page).to_have_url(re.compile(r"/taken$"))
    with db.session() as session:
        done = session.scalars(select(HumanTask).where(HumanTask.status == "completed")).all()
    assert sorted(t.element_id for t in done) == ["beoordelen", "terugkoppelen"]
    assert {t.completed_by for t in done} == {"user:sanne"}


def test_a_half_filled_form_is_kept_as_a_draft(live_server, page, world, db) -> None:
    """A draft is what the form holds so far: a required field still empty does not stop it
    (it once did, in the browser only: the form was checked as if completed)."""
    from app.tasks.models import TaskDraft

    login(page, live_server, "sanne")
    task = world["tasks"][0]
    page.goto(f"{live_server}/taken/{task.id}")
    page.get_by_label("Aantal bewoners").fill("3")  # the required Toelichting stays empty
    page.get_by_role("button", name="Concept opslaan").click()
    expect(page.locator("#meldingen")).to_contain_text("Concept opgeslagen")
    expect(page.get_by_label("Aantal bewoners")).to_have_value("3")
    with db.session() as session:
        assert session.scalars(select(TaskDraft.data)).one() == {
            "toelichting": "",
            "aantal_bewoners": 3,
        }
    screenshot(page, "taak-concept")


def test_the_same_completion_with_the_keyboard_alone(live_server, page, world) -> None:
    login(page, live_server, "samir")
    task = world["tasks"][0]
    page.goto(f"{live_server}/taken/{task.id}")
    page.keyboard.press("Tab")  # skip link first
    # Walk with Tab to the claim button and press it.
    for _ in range(40):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.textContent.trim()") == "Claimen":
            break
    page.keyboard.press("Enter")
    expect(page.locator("#meldingen")).to_contain_text("op uw naam")
    for _ in range(40):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.id").endswith("Field_toelichting"):
            break
    page.keyboard.type("Telefonisch contact gehad.")
    page.keyboard.press("Tab")
    page.keyboard.type("2")
    for _ in range(10):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.textContent.trim()") == "Afronden":
            break
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", level=1)).to_have_text("Terugkoppelen aan de corporatie")


def test_team_lead_distributes_three_tasks(live_server, page, world, db) -> None:
    login(page, live_server, "tineke")
    page.goto(f"{live_server}/taken?tab=team")
    boxes = page.locator("#taken tbody input[type=checkbox]")
    for index in range(3):
        boxes.nth(index).check()
    page.get_by_label("Toewijzen aan").select_option("samir")
    page.get_by_label("Reden").fill("verdeling maandag")
    page.get_by_role("button", name="Uitvoeren").click()
    expect(page.locator("#meldingen")).to_contain_text("3 taken toegewezen aan samir")
    check_accessibility(page, "inbox-team")
    with db.session() as session:
        assigned = session.scalars(
            select(HumanTask.assignee).where(HumanTask.assignee == "samir")
        ).all()
    assert len(assigned) == 3


def test_corporation_worker_reports_by_hand(live_server, page, console, world, db) -> None:
    console.allow(r"status of 422")  # the form with errors comes back as 422, on purpose
    login(page, live_server, "marieke")
    page.get_by_role("link", name="Nieuwe melding").click()
    check_accessibility(page, "nieuwe-melding")
    page.get_by_role("button", name="Melding versturen").click()
    expect(page.locator(".utrecht-form-field-error-message").first).to_be_visible()
    for label, value in [
        ("Referentie van de melder", "WL-000099"),
        ("Naam", "P. Pietersen"),
        ("Geboortedatum", "1990-02-03"),
        ("Huisnummer", "99"),
        ("Postcode", "6001 AB"),
        ("Maanden huurachterstand", "2"),
    ]:
        page.get_by_label(label, exact=True).fill(value)
    page.get_by_role("button", name="Melding versturen").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Zaak WEE-")
    expect(page.locator("main")).to_contain_text("P. Pietersen")
    check_accessibility(page, "zaak")
    screenshot(page, "case")


def test_other_organisation_gets_404_and_each_sees_its_own_fields(
    live_server, page, console, world
) -> None:
    console.allow(r"status of 404")
    task = world["tasks"][0]
    login(page, live_server, "henk")
    assert page.goto(f"{live_server}/taken/{task.id}").status == 404
    assert page.goto(f"{live_server}/zaken/{task.instance_id}").status == 404
    check_accessibility(page, "niet-gevonden")

    page.context.clear_cookies()
    login(page, live_server, "marieke")  # the corporation: its own fields only
    page.goto(f"{live_server}/zaken/{task.instance_id}")
    main = page.locator("main")
    expect(main).to_contain_text("Referentie van de melder")
    expect(main).not_to_contain_text("Eerder gemeld in het halfjaar ervoor")
    page.context.clear_cookies()
    login(page, live_server, "sanne")  # the social team: also what the corporation may not
    page.goto(f"{live_server}/taken/{task.id}")
    side = page.locator("aside")
    expect(side).to_contain_text("Eerder gemeld in het halfjaar ervoor")
    expect(side).to_contain_text("Maanden huurachterstand")


def test_pages_are_accessible(live_server, page, world) -> None:
    page.goto(f"{live_server}/inloggen")
    check_accessibility(page, "inloggen")
    login(page, live_server, "tineke")
    for path in ("/", "/taken?tab=mijn", "/taken?tab=groep", "/taken?tab=team&sort=termijn"):
        page.goto(f"{live_server}{path}")
        check_accessibility(page, path)


def test_case_page_withdraws_a_consent(live_server, page, console, db, settings, clock, tmp_path):  # type: ignore[no-untyped-def]
    """The team that records consent withdraws it from the case page; the page stays
    accessible with the form on it, and the process stops the conversation."""
    from tests.cases.test_withdraw_consent import start_consent_case

    sim, instance_id = start_consent_case(db, settings, clock, tmp_path)
    login(page, live_server, "tom")
    page.goto(f"{live_server}/zaken/{instance_id}")
    form = page.locator("form.stroom-withdraw")
    expect(form).to_contain_text("Toestemming intrekken: Toestemming voor het gesprek")
    check_accessibility(page, "zaak-met-toestemming")
    form.get_by_label("Reden").fill("Bewoner belde af")
    form.get_by_role("button", name="Toestemming intrekken").click()
    expect(page.locator("#meldingen")).to_contain_text("is ingetrokken")
    expect(page.locator("main")).to_contain_text("toestemming ingetrokken")
    expect(page.locator("form.stroom-withdraw")).to_have_count(0)
    assert sim.instance("T-1").status == "completed"


def test_a_saved_filter_is_the_filter_on_screen(live_server, page, world, db) -> None:
    """Issue 21: the filter form updates the list without reloading the page; what is saved
    is the filter shown then, not the one of the page load."""
    from app.tasks.models import SavedFilter

    login(page, live_server, "sanne")
    page.goto(f"{live_server}/taken?tab=groep")
    page.get_by_label("Prioriteit").select_option("hoog")
    page.wait_for_url(re.compile(r"priority=hoog"))
    expect(page.locator("#taken tbody tr")).to_have_count(1)  # one case has 3 months' arrears
    page.locator("summary", has_text="Bewaarde filters").click()
    page.get_by_label("Huidig filter bewaren als").fill("Hoge prioriteit")
    page.get_by_role("button", name="Bewaren").click()
    expect(page.locator("#meldingen")).to_contain_text("Filter 'Hoge prioriteit' is bewaard")
    with db.session() as session:
        saved = session.scalars(select(SavedFilter)).all()
    assert [(f.name, f.query.get("priority"), f.query.get("tab")) for f in saved] == [
        ("Hoge prioriteit", "hoog", "groep")
    ]
    # The saved filter's link shows the same list.
    page.locator("summary", has_text="Bewaarde filters").click()
    page.get_by_role("link", name="Hoge prioriteit").click()
    expect(page.locator("#taken tbody tr")).to_have_count(1)

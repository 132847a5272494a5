"""The process-monitoring pages in a real browser, on the scenario of tests/manage (one case
per kind of trouble): the stuck list, an instance page with its diagram, the heatmap.
Accessible (axe-core, WCAG 2.1 AA), also with a form error; screenshots for reviewers in
test-artifacts/screenshots/ (stuck.png, instance.png, heatmap.png)."""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest

from app.db import Database
from tests.browser.support import check_accessibility, screenshot
from tests.manage.support import Scenario, build_scenario
from tests.support.orgs import PASSWORD


@pytest.fixture
def settings(settings: Any) -> Any:
    """The second factor is tested in tests/auth; here everyone logs in with a password."""
    return dataclasses.replace(settings, totp_roles=frozenset())


@pytest.fixture
def scenario(db: Database, clock: Any, settings: Any) -> Scenario:
    return build_scenario(db, clock, settings)


@pytest.fixture
def app(app: Any, scenario: Scenario) -> Any:
    from app.manage import register_manage

    if "manage" not in app.blueprints:
        register_manage(app)
    return app


def log_in(page: Any, base: str, username: str, target: str) -> None:
    page.goto(f"{base}/inloggen?volgende={target}")
    page.get_by_label("Gebruikersnaam").fill(username)
    page.get_by_label("Wachtwoord").fill(PASSWORD)
    page.get_by_role("button", name="Inloggen").click()
    page.wait_for_url(f"{base}{target}")


def wait_for_diagram(page: Any) -> None:
    page.wait_for_selector("[data-stroom-diagram][data-stroom-ready='1']")
    # The viewer has drawn the diagram: its shapes are in the page.
    assert page.locator(".djs-container svg .djs-element").count() > 5


def test_stuck_list(live_server: str, page: Any, scenario: Scenario) -> None:
    log_in(page, live_server, "mia", "/processen/")
    assert page.title() == "Knelpunten – Stroom"
    rows = page.locator("table tbody tr")
    assert rows.count() == 5
    for label in ("Storing", "Termijn verstreken", "Termijn in gevaar", "Geen voortgang"):
        assert page.locator("table tbody").get_by_text(label, exact=True).count() >= 1
    check_accessibility(page, "knelpunten")
    screenshot(page, "stuck")

    # Choosing cases and an action shows what it would touch, before anything happens.
    page.get_by_label("Kies zaak TE-LAAT (termijn verstreken)").check()
    page.get_by_label("Kies zaak RISICO (termijn in gevaar)").check()
    page.get_by_label("Handeling").select_option("opschorten")
    page.get_by_role("button", name="Bekijk wat er gebeurt").click()
    page.wait_for_url(f"{live_server}/processen/bulk")
    assert page.locator("tr[data-instantie]").count() == 2
    check_accessibility(page, "knelpunten-bulk-voorstel")
    screenshot(page, "stuck-bulk-plan")


def test_instance_page(live_server: str, page: Any, console: Any, scenario: Scenario) -> None:
    console.allow(r"status of 422")  # the action without a reason answers 422, on purpose
    target = f"/processen/instanties/{scenario.ids['BERICHT']}"
    log_in(page, live_server, "mia", target)
    assert page.title() == "Zaak BERICHT – Stroom"
    wait_for_diagram(page)
    # Where the case waits, and the path it took, marked on the diagram.
    assert page.locator(".djs-element.stroom-marker--current[data-element-id='wachten']").count()
    assert page.locator(".djs-element.stroom-marker--done[data-element-id='beoordelen']").count()
    check_accessibility(page, "zaak")
    screenshot(page, "instance")

    # The window narrowed (a phone turned, a window resized): the diagram fits its new box
    # again, instead of keeping the desktop's view cut off at the right.
    scale = "() => document.querySelector('.djs-container .viewport').transform.baseVal[0].matrix.a"
    wide = page.evaluate(scale)
    page.set_viewport_size({"width": 390, "height": 844})
    page.wait_for_function(f"() => ({scale})() < {wide}")
    inner = page.evaluate(
        """() => {
          const box = document.querySelector('[data-stroom-diagram]').getBoundingClientRect();
          const drawn = document.querySelector('.djs-container .viewport').getBoundingClientRect();
          return [drawn.left >= box.left - 1, drawn.right <= box.right + 1];
        }"""
    )
    assert inner == [True, True]
    screenshot(page, "instance-390")
    page.set_viewport_size({"width": 1280, "height": 900})

    # An action without a reason: the error summary, linked to the field, and nothing done.
    page.get_by_label("Opschorten: niets gebeurt meer tot hervatten").check()
    page.get_by_role("button", name="Uitvoeren").click()
    page.wait_for_selector(".utrecht-textarea--invalid")
    assert page.title().startswith("Fout: ")
    assert page.get_by_text("Geef een reden van minstens 5 tekens").first.is_visible()
    assert page.locator("a[href='#reden-status']").count() == 1  # the summary links the field
    wait_for_diagram(page)
    check_accessibility(page, "zaak-fout")
    screenshot(page, "instance-error")


def test_heatmap(live_server: str, page: Any, scenario: Scenario) -> None:
    log_in(page, live_server, "pim", "/processen/warmtekaart/test_toezicht")
    assert page.title() == "Warmtekaart Procesbewaking (test) – Stroom"
    wait_for_diagram(page)
    # A badge with the count on each activity where cases wait.
    badges = page.locator(".stroom-heat-badge strong")
    assert sorted(badges.all_inner_texts()) == ["1", "1", "3"]
    assert page.locator("tr[data-element='beoordelen'] td").nth(1).inner_text() == "3"
    check_accessibility(page, "warmtekaart")
    screenshot(page, "heatmap")


def test_instance_page_says_which_condition_a_case_waits_for(
    live_server: str, page: Any, scenario: Scenario, tmp_path: Any
) -> None:
    """A case that waits only on a condition over its data has no task, timer or message: the
    page names the condition and marks the event, at desktop and phone width."""
    from tests.support.camunda import write_diagram
    from tests.support.engine import deploy_paths

    xml = """<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
    xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"
    xmlns:bpmndi="http://www.omg.org/spec/BPMN/20100524/DI"
    xmlns:dc="http://www.omg.org/spec/DD/20100524/DC"
    xmlns:di="http://www.omg.org/spec/DD/20100524/DI" id="d" targetNamespace="t">
  <bpmn:process id="voorwaarde_wacht" name="Wachten op een hoge schuld" isExecutable="true">
    <bpmn:startEvent id="s" />
    <bpmn:intermediateCatchEvent id="hoog" name="Schuld boven de grens">
      <bpmn:conditionalEventDefinition>
        <bpmn:condition xsi:type="bpmn:tFormalExpression"
          >${bedrag &gt; 1000 &amp;&amp; maanden_achterstand &gt;= 2}</bpmn:condition>
      </bpmn:conditionalEventDefinition>
    </bpmn:intermediateCatchEvent>
    <bpmn:endEvent id="e" />
    <bpmn:sequenceFlow id="f1" sourceRef="s" targetRef="hoog" />
    <bpmn:sequenceFlow id="f2" sourceRef="hoog" targetRef="e" />
  </bpmn:process>
  <bpmndi:BPMNDiagram id="dia"><bpmndi:BPMNPlane id="plane" bpmnElement="voorwaarde_wacht">
    <bpmndi:BPMNShape id="s_di" bpmnElement="s"><dc:Bounds x="100" y="100" width="36"
      height="36" /></bpmndi:BPMNShape>
    <bpmndi:BPMNShape id="hoog_di" bpmnElement="hoog"><dc:Bounds x="200" y="100" width="36"
      height="36" /></bpmndi:BPMNShape>
    <bpmndi:BPMNShape id="e_di" bpmnElement="e"><dc:Bounds x="300" y="100" width="36"
      height="36" /></bpmndi:BPMNShape>
    <bpmndi:BPMNEdge id="f1_di" bpmnElement="f1"><di:waypoint x="136" y="118" />
      <di:waypoint x="200" y="118" /></bpmndi:BPMNEdge>
    <bpmndi:BPMNEdge id="f2_di" bpmnElement="f2"><di:waypoint x="236" y="118" />
      <di:waypoint x="300" y="118" /></bpmndi:BPMNEdge>
  </bpmndi:BPMNPlane></bpmndi:BPMNDiagram>
</bpmn:definitions>"""
    path = write_diagram(
        tmp_path,
        "voorwaarde_wacht",
        xml,
        {"bedrag": 1, "maanden_achterstand": 1},
        ["bedrag", "maanden_achterstand"],
    )
    deploy_paths(scenario.db, path)
    scenario.start("voorwaarde_wacht", "VOORWAARDE", {"bedrag": 500, "maanden_achterstand": 1})
    target = f"/processen/instanties/{scenario.ids['VOORWAARDE']}"
    log_in(page, live_server, "mia", target)
    wait_for_diagram(page)
    table = page.get_by_role("region", name="Voorwaarden (1)")
    assert "bedrag > 1000 and maanden_achterstand >= 2" in table.inner_text()
    assert "Schuld boven de grens" in table.inner_text()
    assert page.locator(".djs-element.stroom-marker--current[data-element-id='hoog']").count()
    check_accessibility(page, "zaak-voorwaarde")
    screenshot(page, "instance-condition")
    page.set_viewport_size({"width": 390, "height": 844})
    page.reload()  # opened on a phone, not a desktop page made narrow
    wait_for_diagram(page)
    screenshot(page, "instance-condition-390")

"""`stroom catalogue init`: a draft catalogue for a diagram drawn elsewhere lists what the
diagram reads and writes and who does its tasks; it is refused at deploy until the owner has
filled in every `IN TE VULLEN`, and then the diagram runs unchanged."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from app.cli import main
from app.engine.deploy import parse_files
from app.engine.draft import draft_catalogue
from app.engine.errors import DeploymentError
from tests.support.camunda import completed_catalogue
from tests.support.engine import FIXTURES, deploy_paths, instance, open_tasks, start

DIAGRAM = """<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
    xmlns:camunda="http://camunda.org/schema/1.0/bpmn" id="d" targetNamespace="t">
  <bpmn:process id="elders" isExecutable="true">
    <bpmn:startEvent id="s" />
    <bpmn:scriptTask id="reken" scriptFormat="python">
      <bpmn:script>uitkomst = bedrag * 2</bpmn:script>
    </bpmn:scriptTask>
    <bpmn:userTask id="bekijken" camunda:assignee="${medewerker}" camunda:candidateGroups="team" />
    <bpmn:endEvent id="e" />
    <bpmn:sequenceFlow id="f1" sourceRef="s" targetRef="reken" />
    <bpmn:sequenceFlow id="f2" sourceRef="reken" targetRef="bekijken" />
    <bpmn:sequenceFlow id="f3" sourceRef="bekijken" targetRef="e" />
  </bpmn:process>
</bpmn:definitions>
"""


@pytest.fixture
def diagram(tmp_path: Path) -> Path:
    path = tmp_path / "elders.bpmn"
    path.write_text(DIAGRAM)
    return path


def test_the_draft_lists_what_the_diagram_needs(diagram: Path) -> None:
    raw = yaml.safe_load(draft_catalogue(diagram, FIXTURES))
    assert raw["proces"] == "elders"
    assert raw["fasen"] == {"alles": ["s", "reken", "bekijken", "e"]}
    assert sorted(raw["velden"]) == ["bedrag", "medewerker", "uitkomst"]
    assert raw["start"] == {"verplicht": ["bedrag", "medewerker"]}  # read before any write
    assert raw["taken"] == {"bekijken": "behandelaar"}
    # Who may read a field is the owner's to say: nobody, until then.
    assert raw["velden"]["bedrag"]["lezen"] == "IN TE VULLEN"


def test_a_draft_is_refused_until_completed_then_the_diagram_runs(db, clock, diagram: Path) -> None:
    catalogue = diagram.with_name("elders.catalogus.yaml")
    catalogue.write_text(draft_catalogue(diagram, FIXTURES))
    with pytest.raises(DeploymentError) as caught:
        parse_files([diagram], FIXTURES)
    [problem] = caught.value.problems
    assert problem.file == str(catalogue)
    assert "velden.bedrag.omschrijving: nog 'IN TE VULLEN'" in problem.message

    catalogue.write_text(
        completed_catalogue(diagram, {"bedrag": 10, "medewerker": "anna"}, ["bedrag", "medewerker"])
    )
    deploy_paths(db, diagram)
    instance_id = start(db, "elders", "E-1", {"bedrag": 21, "medewerker": "anna"})
    [task] = open_tasks(db, instance_id)
    assert task.assignee == "anna" and task.party == "behandelaar"
    assert instance(db, instance_id).data["uitkomst"] == 42


def test_the_command_writes_the_draft_and_keeps_an_existing_one(db, diagram: Path) -> None:
    runner = CliRunner()
    args = ["--database", db.url, "catalogue", "init", str(diagram), "--forms", str(FIXTURES)]
    result = runner.invoke(main, args, catch_exceptions=False)
    assert result.exit_code == 0, result.output
    written = diagram.with_name("elders.catalogus.yaml")
    assert written.read_text() == draft_catalogue(diagram, FIXTURES)
    again = runner.invoke(main, args, catch_exceptions=False)
    assert again.exit_code != 0 and "--force" in again.output
    assert runner.invoke(main, [*args, "--force"], catch_exceptions=False).exit_code == 0


def test_a_diagram_deploy_refuses_gets_no_draft(tmp_path: Path) -> None:
    path = tmp_path / "js.bpmn"
    path.write_text(DIAGRAM.replace('scriptFormat="python"', 'scriptFormat="javascript"'))
    with pytest.raises(DeploymentError) as caught:
        draft_catalogue(path, FIXTURES)
    assert caught.value.problems[0].element == "reken"


def test_the_draft_lists_what_gateway_conditions_read(tmp_path: Path) -> None:
    """A condition's variables are fields too (the data-flow analysis leaves conditions
    out); Camunda's Java objects are not."""
    path = tmp_path / "keuze.bpmn"
    path.write_text(
        DIAGRAM.replace(
            '<bpmn:sequenceFlow id="f3" sourceRef="bekijken" targetRef="e" />',
            '<bpmn:exclusiveGateway id="g" default="f4" /><bpmn:endEvent id="e2" />'
            '<bpmn:sequenceFlow id="f3" sourceRef="bekijken" targetRef="g" />'
            '<bpmn:sequenceFlow id="f4" sourceRef="g" targetRef="e" />'
            '<bpmn:sequenceFlow id="f5" sourceRef="g" targetRef="e2">'
            "<bpmn:conditionExpression>${akkoord &amp;&amp; execution.getVariable('x')}"
            "</bpmn:conditionExpression></bpmn:sequenceFlow>",
        )
    )
    raw = yaml.safe_load(draft_catalogue(path, FIXTURES))
    assert sorted(raw["velden"]) == ["akkoord", "bedrag", "medewerker", "uitkomst"]

"""The Camunda 7 dialect as the Camunda Modeler writes it: a lane as the default candidate
group, `camunda:assignee`, `camunda:candidateUsers`, `camunda:dueDate` and
`camunda:followUpDate` expressions (working days), `camunda:priority`, `camunda:formRef`, and
a message catch event correlated by the `correlationKey` extension property."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pytest
from sqlalchemy import select

from app.clock import AMSTERDAM
from app.engine import service
from app.engine.errors import NotFound
from app.engine.models import HumanTask, MessageSubscription
from tests.support.engine import catalogue_field, deploy_paths, instance, open_tasks, start

DIAGRAM = """<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
    xmlns:camunda="http://camunda.org/schema/1.0/bpmn" id="d" targetNamespace="t"
    exporter="Camunda Modeler" exporterVersion="5.20.0">
  <bpmn:collaboration id="samenwerking">
    <bpmn:participant id="deelnemer" name="Dialect" processRef="test_dialect" />
  </bpmn:collaboration>
  <bpmn:process id="test_dialect" name="Dialect" isExecutable="true">
    <bpmn:laneSet id="banen">
      <bpmn:lane id="baan_team" name="Sociaal Wijkteam">
        <bpmn:flowNodeRef>gestart</bpmn:flowNodeRef>
        <bpmn:flowNodeRef>intake</bpmn:flowNodeRef>
        <bpmn:flowNodeRef>nabellen</bpmn:flowNodeRef>
        <bpmn:flowNodeRef>regeling</bpmn:flowNodeRef>
        <bpmn:flowNodeRef>klaar</bpmn:flowNodeRef>
      </bpmn:lane>
    </bpmn:laneSet>
    <bpmn:startEvent id="gestart"><bpmn:outgoing>f1</bpmn:outgoing></bpmn:startEvent>
    <bpmn:userTask id="intake" name="Intake"
        camunda:formRef="beoordelen"
        camunda:dueDate="${werkdagen(5)}"
        camunda:followUpDate="${werkdagen(2)}"
        camunda:priority="${80 if minderjarigen > 0 else 50}">
      <bpmn:extensionElements>
        <camunda:properties>
          <camunda:property name="partij" value="behandelaar" />
        </camunda:properties>
      </bpmn:extensionElements>
      <bpmn:incoming>f1</bpmn:incoming><bpmn:outgoing>f2</bpmn:outgoing>
    </bpmn:userTask>
    <bpmn:userTask id="nabellen" name="Nabellen"
        camunda:assignee="${behandelaar}" camunda:candidateUsers="anna, bram"
        camunda:formKey="camunda-forms:deployment:beoordelen.form">
      <bpmn:extensionElements>
        <camunda:properties>
          <camunda:property name="partij" value="behandelaar" />
        </camunda:properties>
      </bpmn:extensionElements>
      <bpmn:incoming>f2</bpmn:incoming><bpmn:outgoing>f3</bpmn:outgoing>
    </bpmn:userTask>
    <bpmn:intermediateCatchEvent id="regeling" name="Regeling getroffen">
      <bpmn:extensionElements>
        <camunda:properties>
          <camunda:property name="correlationKey" value="${dossier}" />
        </camunda:properties>
      </bpmn:extensionElements>
      <bpmn:incoming>f3</bpmn:incoming><bpmn:outgoing>f4</bpmn:outgoing>
      <bpmn:messageEventDefinition id="med" messageRef="bericht" />
    </bpmn:intermediateCatchEvent>
    <bpmn:endEvent id="klaar"><bpmn:incoming>f4</bpmn:incoming></bpmn:endEvent>
    <bpmn:sequenceFlow id="f1" sourceRef="gestart" targetRef="intake" />
    <bpmn:sequenceFlow id="f2" sourceRef="intake" targetRef="nabellen" />
    <bpmn:sequenceFlow id="f3" sourceRef="nabellen" targetRef="regeling" />
    <bpmn:sequenceFlow id="f4" sourceRef="regeling" targetRef="klaar" />
  </bpmn:process>
  <bpmn:message id="bericht" name="regeling_getroffen" />
</bpmn:definitions>
"""

CATALOGUE = "\n".join(
    [
        "proces: test_dialect",
        "verwerkingsactiviteit: test-dialect",
        "partijen:",
        "  behandelaar: {naam: Behandelaar}",
        "fasen:",
        "  alles: [gestart, intake, nabellen, regeling, klaar]",
        "velden:",
        "  minderjarigen: " + catalogue_field("Minderjarigen", "getal", 2, writable=True),
        "  behandelaar: " + catalogue_field("Behandelaar", "tekst", "anna", writable=True),
        "  dossier: " + catalogue_field("Dossier", "tekst", "D-1", writable=True),
        "  akkoord: " + catalogue_field("Akkoord", "ja_nee", "true", writable=True),
        "  termijnen: " + catalogue_field("Termijnen", "getal", 6, writable=True),
        "start: {verplicht: [minderjarigen, behandelaar, dossier]}",
        "",
    ]
)


@pytest.fixture
def deployed(db, clock, tmp_path: Path):
    path = tmp_path / "test_dialect.bpmn"
    path.write_text(DIAGRAM)
    path.with_name("test_dialect.catalogus.yaml").write_text(CATALOGUE)
    deploy_paths(db, path)
    return db


def local(moment: datetime | None) -> str:
    assert moment is not None
    return moment.astimezone(AMSTERDAM).isoformat()


def test_the_modeller_dialect_runs(deployed, clock) -> None:
    # Monday 2 March 2026, 09:00 in Amsterdam.
    data = {"minderjarigen": 2, "behandelaar": "bram", "dossier": "D-7"}
    instance_id = start(deployed, "test_dialect", "Z-1", data)
    [intake] = open_tasks(deployed, instance_id)
    # The lane names the group; formRef names the form; the terms are working days.
    assert intake.candidate_groups == ["sociaal-wijkteam"]
    assert intake.form_key == "beoordelen"
    assert local(intake.due_at).startswith("2026-03-09")  # 5 working days on
    assert local(intake.follow_up_at).startswith("2026-03-04")  # 2 working days on
    assert intake.priority == 80

    with deployed.transaction() as session:
        service.complete_task(session, intake.id, {"akkoord": True}, "anna")
    [call] = open_tasks(deployed, instance_id)
    assert call.assignee == "bram"
    assert call.candidate_users == ["anna", "bram"]
    assert call.form_key == "beoordelen.form"
    with deployed.transaction() as session:
        service.complete_task(session, call.id, {}, "bram")

    # The message waits under the expression's value, not the business key.
    with deployed.session() as session:
        subscription = session.scalars(select(MessageSubscription)).one()
    assert subscription.correlation_key == "D-7"
    with pytest.raises(NotFound), deployed.transaction() as session:
        service.deliver_message(session, "regeling_getroffen", "Z-1", {})
    with deployed.transaction() as session:
        service.deliver_message(session, "regeling_getroffen", "D-7", {"termijnen": 6})
    row = instance(deployed, instance_id)
    assert row.status == "completed" and row.data["termijnen"] == 6


def test_priority_expression_follows_the_data(deployed, clock) -> None:
    instance_id = start(
        deployed,
        "test_dialect",
        "Z-2",
        {"minderjarigen": 0, "behandelaar": "bram", "dossier": "D-8"},
    )
    with deployed.session() as session:
        task = session.scalars(select(HumanTask).where(HumanTask.instance_id == instance_id)).one()
    assert task.priority == 50

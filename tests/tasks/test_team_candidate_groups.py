"""Issue 18, acceptance 4: a diagram from the Camunda Modeler whose user task names an
existing team as its candidate group deploys unchanged with the catalogue `stroom catalogue
init` drafts (completed by the owner) and runs: the team's organisation plays the task's
party in the case, its member sees the task in the inbox, opens it and completes it. A
candidate group that is neither a team nor a party is refused at deploy."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner
from sqlalchemy import select

from app.auth import service as auth
from app.cli import main
from app.engine import service
from app.engine.deploy import deploy
from app.engine.errors import DeploymentError
from app.engine.models import HumanTask, InstanceEvent, InstanceParty
from tests.auth.test_login import csrf, login
from tests.support.engine import FIXTURES, instance
from tests.support.orgs import organisation, user

# As the Modeler writes it: no lane, no `partij` property, a team key as candidate group.
DIAGRAM = """<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
    xmlns:bpmndi="http://www.omg.org/spec/BPMN/20100524/DI"
    xmlns:dc="http://www.omg.org/spec/DD/20100524/DC"
    xmlns:camunda="http://camunda.org/schema/1.0/bpmn"
    xmlns:modeler="http://camunda.org/schema/modeler/1.0" id="Definitions_1"
    targetNamespace="http://bpmn.io/schema/bpmn" exporter="Camunda Modeler"
    exporterVersion="5.31.0" modeler:executionPlatform="Camunda Platform"
    modeler:executionPlatformVersion="7.22.0">
  <bpmn:process id="teamtaak" name="Teamtaak" isExecutable="true"
      camunda:historyTimeToLive="180">
    <bpmn:startEvent id="StartEvent_1"><bpmn:outgoing>Flow_1</bpmn:outgoing></bpmn:startEvent>
    <bpmn:userTask id="Activity_beoordelen" name="Beoordelen"
        camunda:candidateGroups="{group}" camunda:formRef="beoordelen"
        camunda:formRefBinding="latest">
      <bpmn:incoming>Flow_1</bpmn:incoming><bpmn:outgoing>Flow_2</bpmn:outgoing>
    </bpmn:userTask>
    <bpmn:endEvent id="Event_einde"><bpmn:incoming>Flow_2</bpmn:incoming></bpmn:endEvent>
    <bpmn:sequenceFlow id="Flow_1" sourceRef="StartEvent_1" targetRef="Activity_beoordelen" />
    <bpmn:sequenceFlow id="Flow_2" sourceRef="Activity_beoordelen" targetRef="Event_einde" />
  </bpmn:process>
  <bpmndi:BPMNDiagram id="BPMNDiagram_1">
    <bpmndi:BPMNPlane id="BPMNPlane_1" bpmnElement="teamtaak">
      <bpmndi:BPMNShape id="s_di" bpmnElement="StartEvent_1">
        <dc:Bounds x="152" y="102" width="36" height="36" />
      </bpmndi:BPMNShape>
    </bpmndi:BPMNPlane>
  </bpmndi:BPMNDiagram>
</bpmn:definitions>
"""


def _field(description: str, kind: str, example: object, read: object, write: object) -> dict:
    return {
        "omschrijving": description,
        "categorie": "financieel",
        "type": kind,
        "doel": "beoordelen",
        "grondslag": "publieke_taak",
        "bewaartermijn": "P6M",
        "voorbeeld": example,
        "lezen": read,
        "schrijven": write,
    }


def _write_and_complete(db, path: Path) -> None:  # type: ignore[no-untyped-def]
    """`stroom catalogue init`, then what the owner fills in: who the party is, and for each
    field what it is and who may read and write it. The draft's `taken` is kept as drafted."""
    result = CliRunner().invoke(
        main,
        ["--database", db.url, "catalogue", "init", str(path), "--forms", str(FIXTURES)],
        catch_exceptions=False,
    )
    assert result.exit_code == 0, result.output
    target = path.with_name("teamtaak.catalogus.yaml")
    raw = yaml.safe_load(target.read_text())
    assert raw["taken"] == {"Activity_beoordelen": "behandelaar"}
    raw["verwerkingsactiviteit"] = "beoordeling"
    raw["partijen"] = {"behandelaar": {"naam": "Behandelaar"}}
    raw["velden"] = {
        "akkoord": _field("Akkoord", "ja_nee", True, {"behandelaar": "*"}, {"behandelaar": "*"}),
        "bedrag": _field("Bedrag", "bedrag", 850, {"behandelaar": "*"}, {}),
        # Kept with the case, readable by no party.
        "notitie": _field("Notitie", "tekst", "x", {}, {}),
    }
    target.write_text(yaml.safe_dump(raw, allow_unicode=True, sort_keys=False))


def _deploy(db, path: Path) -> None:  # type: ignore[no-untyped-def]
    with db.transaction() as session:
        deploy(session, [path], FIXTURES, actor="test")


@pytest.fixture
def diagram(tmp_path: Path) -> Path:
    path = tmp_path / "teamtaak.bpmn"
    path.write_text(DIAGRAM.format(group="schuldhulp-noord"))
    return path


def test_a_group_that_is_neither_team_nor_party_is_refused(db, diagram: Path) -> None:
    _write_and_complete(db, diagram)
    with pytest.raises(DeploymentError) as caught:
        _deploy(db, diagram)
    [problem] = caught.value.problems
    assert problem.element == "Activity_beoordelen" and problem.line is not None
    assert "kandidaatgroep 'schuldhulp-noord' is geen team en geen partij" in problem.message
    assert "stroom groups add schuldhulp-noord" in problem.message


def test_a_task_for_an_existing_team_runs_for_that_team(app, client, db, clock, diagram) -> None:  # type: ignore[no-untyped-def]
    organisation(db, "gemeente-noord", "gemeente")
    organisation(db, "gemeente-zuid", "gemeente")
    with db.transaction() as session:
        auth.create_group(session, "schuldhulp-noord", "Schuldhulp Noord", "gemeente-noord")
    user(db, "noor", "gemeente-noord", groups=("schuldhulp-noord",))
    user(db, "zeno", "gemeente-zuid")
    _write_and_complete(db, diagram)
    _deploy(db, diagram)  # the diagram as the Modeler wrote it

    with db.transaction() as session:  # as `stroom start` does: no party given
        row = service.start_instance(
            session,
            "teamtaak",
            business_key="T-1",
            data={"bedrag": 850, "notitie": "alleen voor de zaak"},
            actor="cli",
        )
        instance_id = row.id
    with db.session() as session:
        task = session.scalars(select(HumanTask).where(HumanTask.instance_id == instance_id)).one()
        assert task.candidate_groups == ["schuldhulp-noord"] and task.party == "behandelaar"
        bound = session.scalars(
            select(InstanceParty).where(InstanceParty.instance_id == instance_id)
        ).one()
        assert (bound.party, bound.group_key) == ("behandelaar", "schuldhulp-noord")
        events = session.scalars(
            select(InstanceEvent.kind).where(InstanceEvent.instance_id == instance_id)
        ).all()
        assert "party_bound" in events

    # Another organisation sees neither the task nor the case.
    login(client, "zeno")
    assert "Beoordelen" not in client.get("/taken").get_data(as_text=True)
    assert client.get(f"/taken/{task.id}").status_code == 404
    client.post("/uitloggen", data={"csrf_token": csrf(client, "/taken")})

    client = app.test_client()
    login(client, "noor")
    assert "Beoordelen" in client.get("/taken").get_data(as_text=True)
    page = client.get(f"/taken/{task.id}")
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert "850" in text  # the party reads the amount
    assert "alleen voor de zaak" not in text  # a field no party may read stays unreadable
    done = client.post(
        f"/taken/{task.id}",
        data={
            "csrf_token": csrf(client, f"/taken/{task.id}"),
            "actie": "afronden",
            "data": json.dumps({"akkoord": True}),
        },
    )
    assert done.status_code == 302, done.get_data(as_text=True)
    finished = instance(db, instance_id)
    assert finished.status == "completed" and finished.data["akkoord"] is True


def test_a_team_of_another_organisation_than_the_party_is_an_incident(db, clock, diagram) -> None:  # type: ignore[no-untyped-def]
    """The party is already played by another organisation in this case: the team's members
    would see the task and could not open the case. That is said, not left to be found."""
    from app.auth.principal import SYSTEM
    from app.cases.service import start_case
    from app.engine.models import Incident

    organisation(db, "gemeente-noord", "gemeente")
    organisation(db, "gemeente-zuid", "gemeente")
    with db.transaction() as session:
        auth.create_group(session, "schuldhulp-noord", "Schuldhulp Noord", "gemeente-noord")
    _write_and_complete(db, diagram)
    _deploy(db, diagram)
    with db.transaction() as session:
        row = start_case(
            session,
            SYSTEM,
            "teamtaak",
            business_key="T-2",
            data={"bedrag": 1},
            parties={"behandelaar": "gemeente-zuid"},
        )
        instance_id = row.id
    assert instance(db, instance_id).status == "error"
    with db.session() as session:
        incident = session.scalars(select(Incident)).one()
        assert incident.element_id == "Activity_beoordelen"
        assert "team 'schuldhulp-noord' doet deze taak als partij 'behandelaar'" in (
            incident.message
        )
        assert session.scalars(select(HumanTask)).all() == []

"""The real BRP client as a service task, end to end: the worker calls the (fake) Haal Centraal
server over HTTP; a 500 is retried with backoff and, when it persists, becomes an incident
that names the BRP's answer; a 404 the same; once the BRP answers, retrying the incident
carries the household into the case."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from app.engine import service
from app.engine.jobs import run_due_jobs
from app.engine.models import Incident, Job
from app.registers import factory
from app.registers.settings import BrpSettings, RegisterSettings
from tests.fakes.brp_server import VADER, FakeBrp, brp_server  # noqa: F401 - the fixture
from tests.registers.conftest import API_KEY
from tests.support.engine import catalogue_field, deploy_paths, history, instance, open_tasks, start

DIAGRAM = """<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
    xmlns:camunda="http://camunda.org/schema/1.0/bpmn" id="d" targetNamespace="t">
  <bpmn:process id="test_brp" name="BRP raadplegen" isExecutable="true">
    <bpmn:startEvent id="gestart"><bpmn:outgoing>f1</bpmn:outgoing></bpmn:startEvent>
    <bpmn:serviceTask id="brp" name="Huishouden opvragen" camunda:type="external"
        camunda:topic="brp.huishouden">
      <bpmn:extensionElements>
        <camunda:inputOutput>
          <camunda:inputParameter name="bsn">${bsn}</camunda:inputParameter>
        </camunda:inputOutput>
      </bpmn:extensionElements>
      <bpmn:incoming>f1</bpmn:incoming><bpmn:outgoing>f2</bpmn:outgoing>
    </bpmn:serviceTask>
    <bpmn:userTask id="kijken" name="Kijken" camunda:candidateGroups="team">
      <bpmn:extensionElements>
        <camunda:properties>
          <camunda:property name="partij" value="behandelaar" />
        </camunda:properties>
      </bpmn:extensionElements>
      <bpmn:incoming>f2</bpmn:incoming><bpmn:outgoing>f3</bpmn:outgoing>
    </bpmn:userTask>
    <bpmn:endEvent id="klaar"><bpmn:incoming>f3</bpmn:incoming></bpmn:endEvent>
    <bpmn:sequenceFlow id="f1" sourceRef="gestart" targetRef="brp" />
    <bpmn:sequenceFlow id="f2" sourceRef="brp" targetRef="kijken" />
    <bpmn:sequenceFlow id="f3" sourceRef="kijken" targetRef="klaar" />
  </bpmn:process>
</bpmn:definitions>
"""

OUTPUTS = {
    "leeftijd": ("huishouden", "getal", 45),
    "aantal_bewoners": ("huishouden", "getal", 5),
    "minderjarigen": ("huishouden", "getal", 2),
    "heeft_minderjarigen": ("huishouden", "ja_nee", "true"),
    "bewoner_65_plus": ("huishouden", "ja_nee", "false"),
    "huishouden": ("huishouden", "tekst", "alleenstaand"),
    "adres_gevonden": ("huishouden", "ja_nee", "true"),
}
CATALOGUE = "\n".join(
    [
        "proces: test_brp",
        "verwerkingsactiviteit: test-brp",
        "partijen:",
        "  behandelaar: {naam: Behandelaar}",
        "fasen:",
        "  alles: [gestart, brp, kijken, klaar]",
        "velden:",
        "  bsn: " + catalogue_field("BSN", "tekst, formaat: bsn", "'999990007'", "identificerend"),
        *(
            f"  {name}: " + catalogue_field(name, kind, example, category)
            for name, (category, kind, example) in OUTPUTS.items()
        ),
        "systemen:",
        f"  brp.huishouden: {{lezen: [bsn], schrijven: [{', '.join(OUTPUTS)}]}}",
        "start: {verplicht: [bsn]}",
        "",
    ]
)


@pytest.fixture
def brp(brp_server: FakeBrp) -> Iterator[FakeBrp]:  # noqa: F811
    factory.reset(
        RegisterSettings(
            brp_adapter="haalcentraal",
            brp=BrpSettings(base_url=brp_server.base_url, api_key=API_KEY, timeout_seconds=5),
        )
    )
    yield brp_server
    factory.reset()


@pytest.fixture
def deployed(db, clock, tmp_path: Path):
    path = tmp_path / "test_brp.bpmn"
    path.write_text(DIAGRAM)
    path.with_name("test_brp.catalogus.yaml").write_text(CATALOGUE)
    deploy_paths(db, path)
    return db


def _drain(db, settings, clock, rounds: int) -> None:
    for _ in range(rounds):
        run_due_jobs(db, settings, "w")
        clock.advance(timedelta(seconds=settings.job_backoff_seconds * 2**rounds))


@pytest.mark.parametrize(("status", "says"), [(500, "500"), (404, "404")])
def test_a_failing_brp_is_retried_then_an_incident_then_retried_by_hand(
    deployed, settings, clock, brp: FakeBrp, status: int, says: str
) -> None:
    brp.force(status, times=1 + settings.job_retries)
    instance_id = start(deployed, "test_brp", "B-1", {"bsn": VADER})
    _drain(deployed, settings, clock, rounds=2 + settings.job_retries)

    assert len(brp.personen_requests()) == 1 + settings.job_retries
    failures = [e for e in history(deployed, instance_id) if e.kind == "job_failed"]
    # Every attempt is in the history; the last one became the incident.
    assert [f.details["attempt"] for f in failures] == list(range(1, 2 + settings.job_retries))
    assert all("retry_at" in f.details for f in failures[:-1])
    with deployed.session() as session:
        job = session.scalars(select(Job)).one()
        incident = session.scalars(select(Incident)).one()
    assert job.status == "incident" and job.attempts == 1 + settings.job_retries
    assert incident.status == "open" and incident.element_id == "brp"
    assert "brp.huishouden" in incident.message and says in incident.message
    assert VADER not in incident.message  # no BSN in what operators read
    assert instance(deployed, instance_id).status == "error"

    # The BRP answers again: the operator retries, the household reaches the case.
    with deployed.transaction() as session:
        service.retry_incident(session, incident.id, "beheerder", "BRP weer beschikbaar")
    assert run_due_jobs(deployed, settings, "w") == 1
    row = instance(deployed, instance_id)
    assert row.status == "waiting"
    assert [t.element_id for t in open_tasks(deployed, instance_id)] == ["kijken"]
    assert row.data["minderjarigen"] == 2 and row.data["aantal_bewoners"] == 5

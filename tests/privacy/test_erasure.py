"""A case that ends at an end event marked `gegevens = wissen` keeps nothing but the fields
named in `bewaren`: not in its task tree, not in its case data, not in its signals."""

from __future__ import annotations

from sqlalchemy import select

from app.engine import service
from app.engine.models import HumanTask, InstanceEvent, ProcessInstance
from app.intake.models import Signal
from app.intake.service import prepare, receive
from tests.support.engine import FIXTURES, deploy_paths, write_variant
from tests.support.orgs import bind, organisation, partner

ERASE = """<bpmn:endEvent id="klaar" name="Afgehandeld">
      <bpmn:extensionElements><camunda:properties>
        <camunda:property name="gegevens" value="wissen" />
        <camunda:property name="bewaren" value="referentie, weigering" />
      </camunda:properties></bpmn:extensionElements>"""


def test_refusal_keeps_only_the_refusal(db, clock, tmp_path) -> None:
    xml = (
        (FIXTURES / "melding.bpmn")
        .read_text()
        .replace('<bpmn:endEvent id="klaar" name="Afgehandeld">', ERASE)
    )
    catalogue = (FIXTURES / "melding.catalogus.yaml").read_text() + (
        "  weigering: {omschrijving: Bewoner wil geen hulp, categorie: proces, type: ja_nee, "
        "doel: weigering doorgeven, grondslag: publieke_taak, bewaartermijn: P6M, "
        'voorbeeld: true, lezen: {corporatie: "*", wijkteam: "*"}, schrijven: {wijkteam: "*"}}\n'
    )
    deploy_paths(db, write_variant(tmp_path, "melding.bpmn", xml, catalogue))
    principal = partner(db, "wonen-limburg", "test_melding")
    organisation(db, "weert-sdv", "gemeente")
    bind(db, "test_melding", "weert", "wijkteam", "weert-sdv")
    signal = {
        "referentie": "WL-000001",
        "naam": "J. Jansen",
        "geboortedatum": "1980-05-01",
        "straat": "Dorpsstraat",
        "huisnummer": "7",
        "postcode": "6001 AB",
        "telefoon": "0612345678",
        "maanden_achterstand": "3",
    }
    with db.transaction() as session:
        receive(session, prepare(session, principal, "s"), [(1, signal)], "api")
    with db.transaction() as session:
        task = session.scalars(select(HumanTask)).one()
        service.complete_task(session, task.id, {"weigering": True}, "user:mira")

    with db.session() as session:
        row = session.scalars(select(ProcessInstance)).one()
        stored_signal = session.scalars(select(Signal)).one()
        event = session.scalars(
            select(InstanceEvent).where(InstanceEvent.kind == "gegevens_gewist")
        ).one()
    assert row.status == "completed"
    assert row.data == {"referentie": "WL-000001", "weigering": True}
    assert stored_signal.data == {"referentie": "WL-000001"}
    personal = ("Jansen", "Dorpsstraat", "6001", "0612345678", "1980-05-01")
    assert not any(value in row.state for value in personal)
    assert "naam" in event.details["gewist"] and "Jansen" not in str(event.details)

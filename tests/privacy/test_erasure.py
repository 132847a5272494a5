"""A case that ends at an end event marked `gegevens = wissen` keeps nothing but the fields
named in `bewaren`: not in its task tree, not in its case data, not in its signals."""

from __future__ import annotations

import hashlib

import pytest
from sqlalchemy import select

from app.cases import documents
from app.cases.models import Document
from app.engine import service
from app.engine.models import HumanTask, Incident, InstanceEvent, Job, ProcessInstance
from app.intake.models import Signal, SignalCase
from app.intake.service import prepare, receive
from app.privacy.models import Consent
from app.tasks.models import TaskDraft
from tests.support.engine import FIXTURES, deploy_paths, write_variant
from tests.support.orgs import bind, organisation, partner, user

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
    # Whole values: a bare "6001" also occurs by chance inside the random UUIDs of the
    # state's tasks (about one run in two hundred; the test failed so once).
    personal = ("Jansen", "Dorpsstraat", "6001 AB", "6001AB", "0612345678", "1980-05-01")
    assert not any(value in row.state for value in personal)
    assert "naam" in event.details["gewist"] and "Jansen" not in str(event.details)


# -- what a case leaves outside its workflow ---------------------------------------------------

PDF = b"%PDF-1.4 toestemmingsformulier van "
SHARED = b"%PDF-1.4 folder over schuldhulp"


def _two_cases(db, tmp_path) -> tuple[str, str]:
    """Two signals, two cases of the erasing variant; returns (erased, other) instance ids."""
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
    first = {
        "referentie": "WL-000001",
        "naam": "J. Jansen",
        "geboortedatum": "1980-05-01",
        "straat": "Dorpsstraat",
        "huisnummer": "7",
        "postcode": "6001 AB",
        "telefoon": "0612345678",
        "maanden_achterstand": "3",
    }
    second = {**first, "referentie": "WL-000002", "naam": "K. Peters", "huisnummer": "9"}
    with db.transaction() as session:
        receive(session, prepare(session, principal, "s"), [(1, first), (2, second)], "api")
    with db.session() as session:
        by_reference = {
            row.data["referentie"]: row.id for row in session.scalars(select(ProcessInstance))
        }
    return by_reference["WL-000001"], by_reference["WL-000002"]


def _leave_traces(db, clock, instance_id: str, user_id: int, folder) -> dict[str, int]:
    """What a case collects outside its workflow: a handler's job, a draft form, documents
    (one with content another case also has) and consents (one with the form as evidence)."""
    with db.transaction() as session:
        task = session.scalars(select(HumanTask).where(HumanTask.instance_id == instance_id)).one()
        session.add(
            Job(
                instance_id=instance_id,
                spiff_task_id=task.id,
                element_id="brp_opvragen",
                topic="brp",
                inputs={"referentie": "R", "naam": "J. Jansen", "postcode": "6001 AB"},
                status="done",
                next_attempt_at=clock.now(),
                created_at=clock.now(),
                last_error="BRP: persoon 999990007 (J. Jansen) niet gevonden",
            )
        )
        # Error texts quote values: a failed attempt in the history, and an incident.
        session.add(
            Incident(
                instance_id=instance_id,
                kind="job",
                message="brp: persoon 999990007 niet gevonden",
                details="Traceback ... bsn=999990007",
                created_at=clock.now(),
                status="resolved",
            )
        )
        session.add_all(
            InstanceEvent(
                instance_id=instance_id,
                at=clock.now(),
                kind=kind,
                element_id="brp_opvragen",
                actor="worker:w",
                details={"attempt": 1, key: "persoon 999990007 niet gevonden"},
            )
            for kind, key in (("job_failed", "error"), ("incident_raised", "message"))
        )
        session.add(
            TaskDraft(
                task_id=task.id, user_id=user_id, data={"notitie": "Jansen"}, saved_at=clock.now()
            )
        )
        own = documents.store(
            session,
            instance_id,
            "form.pdf",
            "application/pdf",
            PDF + instance_id.encode(),  # content of its own
            "toestemming",
            "u",
            folder,
        )
        shared = documents.store(
            session, instance_id, "folder.pdf", "application/pdf", SHARED, "info", "u", folder
        )
        given = Consent(
            instance_id=instance_id,
            scope="gesprek",
            given=True,
            given_by="M. Jansen (dochter)",
            channel="schriftelijk",
            recorded_by="user:mira",
            recorded_at=clock.now(),
            evidence_document_id=own.id,
            note="bewijs: TF-2026-0001",
        )
        session.add(given)
        session.flush()
        return {"document": own.id, "shared": shared.id, "consent": given.id}


def _snapshot(db, instance_id: str) -> dict:
    with db.session() as session:
        cases = session.scalars(select(SignalCase).where(SignalCase.instance_id == instance_id))
        case_ids = []
        addresses = []
        for case in cases:
            case_ids.append(case.id)
            addresses.append(case.address_key)
        signals = session.scalars(select(Signal).where(Signal.case_id.in_(case_ids))).all()
        tasks = select(HumanTask.id).where(HumanTask.instance_id == instance_id)
        return {
            "case_addresses": addresses,
            "signal_addresses": [s.address_key for s in signals],
            "signal_data": [dict(s.data) for s in signals],
            "job_inputs": [
                dict(j.inputs)
                for j in session.scalars(select(Job).where(Job.instance_id == instance_id))
            ],
            "drafts": session.scalars(
                select(TaskDraft.task_id).where(TaskDraft.task_id.in_(tasks))
            ).all(),
            "documents": session.scalars(
                select(Document.sha256).where(Document.instance_id == instance_id)
            ).all(),
            "consents": [
                (c.scope, c.given, c.channel, c.given_by, c.note, c.evidence_document_id)
                for c in session.scalars(select(Consent).where(Consent.instance_id == instance_id))
            ],
            "error_texts": [
                *session.scalars(select(Job.last_error).where(Job.instance_id == instance_id)),
                *(
                    f"{i.message} | {i.details}"
                    for i in session.scalars(
                        select(Incident).where(Incident.instance_id == instance_id)
                    )
                ),
                *(
                    str(e.details)
                    for e in session.scalars(
                        select(InstanceEvent)
                        .where(
                            InstanceEvent.instance_id == instance_id,
                            InstanceEvent.kind.in_(("job_failed", "incident_raised")),
                        )
                        .order_by(InstanceEvent.id)
                    )
                ),
            ],
        }


def test_erasure_clears_what_the_case_left_outside_its_workflow(
    db, clock, tmp_path, monkeypatch
) -> None:
    folder = tmp_path / "documents"
    monkeypatch.setattr(documents, "STORE", folder)
    erased_id, other_id = _two_cases(db, tmp_path)
    mira = user(db, "mira", "weert-sdv")
    mine = _leave_traces(db, clock, erased_id, mira.id, folder)
    _leave_traces(db, clock, other_id, mira.id, folder)
    with db.transaction() as session:
        # The same folder also in a document without a case: its file must stay.
        documents.store(session, None, "los.pdf", "application/pdf", SHARED, "info", "u", folder)
    own_file = folder / hashlib.sha256(PDF + erased_id.encode()).hexdigest()
    shared_file = folder / hashlib.sha256(SHARED).hexdigest()
    other_before = _snapshot(db, other_id)
    before = _snapshot(db, erased_id)
    assert all(before["case_addresses"]) and all(before["signal_addresses"])
    assert own_file.exists() and shared_file.exists()

    with db.transaction() as session:
        task = session.scalars(select(HumanTask).where(HumanTask.instance_id == erased_id)).one()
        service.complete_task(session, task.id, {"weigering": True}, "user:mira")

    after = _snapshot(db, erased_id)
    assert after["case_addresses"] == [None]
    assert after["signal_addresses"] == [None]
    assert after["signal_data"] == [{"referentie": "WL-000001"}]
    assert after["job_inputs"] == [{"referentie": "R"}]  # only the kept fields
    assert after["drafts"] == []
    assert after["documents"] == []
    # The fact of consent stays (scope, yes/no, channel); who, the note and the form go.
    assert after["consents"] == [("gesprek", True, "schriftelijk", "(gewist)", None, None)]
    assert all("999990007" in text for text in before["error_texts"])
    # That something failed, and where, stays; what the message quoted goes.
    assert after["error_texts"] == [
        "(gewist)",
        "job: (gewist) | None",
        "{'attempt': 1, 'error': '(gewist)'}",
        "{'attempt': 1, 'message': '(gewist)'}",
    ]
    with db.session() as session:
        assert session.get(Document, mine["document"]) is None
        assert session.get(Document, mine["shared"]) is None
        event = session.scalars(
            select(InstanceEvent).where(
                InstanceEvent.instance_id == erased_id, InstanceEvent.kind == "gegevens_gewist"
            )
        ).one()
    assert not own_file.exists()
    assert shared_file.exists()  # the other case and the loose document still use it
    assert (folder / hashlib.sha256(PDF + other_id.encode()).hexdigest()).exists()
    assert {"naam", "postcode"} <= set(event.details["gewist"])
    assert (event.details["documenten"], event.details["concepten"]) == (2, 1)
    assert event.details["toestemmingen"] == 1
    assert event.details["foutteksten"] == 4
    assert "Jansen" not in str(event.details)
    # The other case is untouched.
    assert _snapshot(db, other_id) == other_before


def test_erasure_that_is_rolled_back_keeps_the_files(db, clock, tmp_path, monkeypatch) -> None:
    folder = tmp_path / "documents"
    monkeypatch.setattr(documents, "STORE", folder)
    erased_id, _other = _two_cases(db, tmp_path)
    mira = user(db, "mira", "weert-sdv")
    _leave_traces(db, clock, erased_id, mira.id, folder)
    own_file = folder / hashlib.sha256(PDF + erased_id.encode()).hexdigest()
    before = _snapshot(db, erased_id)

    class Abort(Exception):
        pass

    with pytest.raises(Abort), db.transaction() as session:
        task = session.scalars(select(HumanTask).where(HumanTask.instance_id == erased_id)).one()
        service.complete_task(session, task.id, {"weigering": True}, "user:mira")
        raise Abort
    assert _snapshot(db, erased_id) == before
    assert own_file.exists()

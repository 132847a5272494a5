"""The consent registry: a form records consent, a diagram tests it, a withdrawal stops the
running conversation at once."""

from __future__ import annotations

from datetime import timedelta
from types import SimpleNamespace

import pytest
from sqlalchemy import select

from app import clock as app_clock
from app.cases.models import Document
from app.engine import service
from app.engine.errors import InvalidInput
from app.engine.models import InstanceEvent, ProcessInstance
from app.engine.runtime import _CURRENT
from app.privacy import consent
from app.privacy.functions import heeft_toestemming
from app.privacy.models import Consent
from app.simulation.runner import Simulation
from tests.support.engine import FIXTURES, deploy_paths, kinds, write_variant

PROCESS = FIXTURES / "toestemming.bpmn"


def _sim(db, settings, clock) -> Simulation:
    deploy_paths(db, PROCESS)
    return Simulation(db, settings, clock, through_forms=False)


def test_consent_from_a_form_then_withdrawal_stops_the_conversation(db, settings, clock) -> None:
    sim = _sim(db, settings, clock)
    instance_id = sim.start("test_toestemming", "T-1", parties={"team": "team-a"})
    sim.complete(
        "vragen",
        "T-1",
        {
            "toestemming_gesprek": True,
            "kanaal_toestemming_gesprek": "schriftelijk",
            "bewijs_toestemming_gesprek": "TF-2026-0001",  # written: with its evidence
        },
    )
    assert sim.open_task("gesprek", "T-1") is not None
    with db.session() as session:
        row = session.scalars(select(Consent)).one()
    assert (row.scope, row.given, row.channel) == ("gesprek", True, "schriftelijk")

    with db.transaction() as session:
        consent.withdraw(
            session, instance_id, "gesprek", withdrawn_by="user:sanne", channel="mondeling"
        )
    instance = sim.instance("T-1")
    assert instance.status == "completed"
    assert "gestopt" in sim.end_events()
    history = kinds(db, instance_id)
    assert history.index("toestemming_ingetrokken") < history.index("message_received")
    assert "task_cancelled" in history  # the conversation task is gone at once


def test_refused_consent_takes_the_other_path(db, settings, clock) -> None:
    sim = _sim(db, settings, clock)
    sim.start("test_toestemming", "T-2", parties={"team": "team-a"})
    sim.complete("vragen", "T-2", {"toestemming_gesprek": False})
    assert sim.end_events() == {"geweigerd": 1}
    with db.session() as session:
        assert session.scalars(select(Consent.given)).all() == [False]


# -- companion fields: kanaal_, bewijs_, door_ ------------------------------------------------


def _document(db, instance_id: str, sha: str = "cd" * 32) -> int:
    with db.transaction() as session:
        row = Document(
            instance_id=instance_id,
            name="toestemmingsformulier.pdf",
            content_type="application/pdf",
            size=1234,
            sha256=sha,
            category="toestemming",
            uploaded_by="user:sanne",
            uploaded_at=app_clock.now(),
        )
        session.add(row)
        session.flush()
        return row.id


def test_companions_go_to_the_registry_not_into_the_case_data(db, settings, clock) -> None:
    sim = _sim(db, settings, clock)
    instance_id = sim.start("test_toestemming", "T-3", parties={"team": "team-a"})
    document_id = _document(db, instance_id)
    sim.complete(
        "vragen",
        "T-3",
        {
            "toestemming_gesprek": True,
            "kanaal_toestemming_gesprek": "schriftelijk",
            "bewijs_toestemming_gesprek": str(document_id),
            "door_toestemming_gesprek": "  P. de Wit (bewindvoerder) ",
        },
    )
    with db.session() as session:
        row = session.scalars(select(Consent)).one()
        instance = session.get(ProcessInstance, instance_id)
        assert instance is not None
        data, state = dict(instance.data), instance.state
    assert (row.channel, row.evidence_document_id, row.note) == ("schriftelijk", document_id, None)
    assert row.given_by == "P. de Wit (bewindvoerder)"
    assert data == {"toestemming_gesprek": True}
    assert "bewindvoerder" not in state and "kanaal_toestemming_gesprek" not in state
    assert sim.open_task("gesprek", "T-3") is not None


def test_evidence_that_is_not_a_number_is_a_reference_in_the_note(db, settings, clock) -> None:
    sim = _sim(db, settings, clock)
    sim.start("test_toestemming", "T-4", parties={"team": "team-a"})
    sim.complete(
        "vragen",
        "T-4",
        {"toestemming_gesprek": True, "bewijs_toestemming_gesprek": "TF-2026-0101"},
    )
    with db.session() as session:
        row = session.scalars(select(Consent)).one()
    # Evidence without a channel means a paper form; the decider is the resident.
    assert (row.channel, row.given_by) == ("schriftelijk", "bewoner")
    assert (row.evidence_document_id, row.note) == (None, "bewijs: TF-2026-0101")


def test_without_companions_the_consent_is_oral_by_the_resident(db, settings, clock) -> None:
    sim = _sim(db, settings, clock)
    sim.start("test_toestemming", "T-5", parties={"team": "team-a"})
    sim.complete("vragen", "T-5", {"toestemming_gesprek": True, "door_toestemming_gesprek": ""})
    with db.session() as session:
        row = session.scalars(select(Consent)).one()
    assert (row.channel, row.given_by, row.evidence_document_id, row.note) == (
        "mondeling",
        "bewoner",
        None,
        None,
    )


BAD_COMPANIONS = [
    ({"kanaal_toestemming_gesprek": "per duif"}, "kanaal_toestemming_gesprek"),
    ({"kanaal_toestemming_gesprek": 3}, "kanaal_toestemming_gesprek"),
    ({"bewijs_toestemming_gesprek": "999999"}, "bewijs_toestemming_gesprek"),
    ({"bewijs_toestemming_gesprek": "9" * 30}, "bewijs_toestemming_gesprek"),
    ({"bewijs_toestemming_gesprek": "0"}, "bewijs_toestemming_gesprek"),
    ({"bewijs_toestemming_gesprek": "OTHER"}, "bewijs_toestemming_gesprek"),
    ({"bewijs_toestemming_gesprek": True}, "bewijs_toestemming_gesprek"),
    ({"bewijs_toestemming_gesprek": "x" * 301}, "bewijs_toestemming_gesprek"),
    ({"bewijs_toestemming_gesprek": "9" * 5000}, "bewijs_toestemming_gesprek"),
    ({"door_toestemming_gesprek": "x" * 301}, "door_toestemming_gesprek"),
    ({"door_toestemming_gesprek": ["de bewoner"]}, "door_toestemming_gesprek"),
]


@pytest.mark.parametrize(("extra", "field"), BAD_COMPANIONS)
def test_bad_companions_are_refused_and_change_nothing(db, settings, clock, extra, field) -> None:
    sim = _sim(db, settings, clock)
    instance_id = sim.start("test_toestemming", "T-6", parties={"team": "team-a"})
    other_id = sim.start("test_toestemming", "T-7", parties={"team": "team-a"})
    foreign = _document(db, other_id)
    if extra.get("bewijs_toestemming_gesprek") == "OTHER":
        extra = {"bewijs_toestemming_gesprek": str(foreign)}  # a document of another case
    task = sim.open_task("vragen", "T-6")
    before = _stored(db, instance_id)

    with pytest.raises(InvalidInput) as raised, db.transaction() as session:
        service.complete_task(session, task.id, {"toestemming_gesprek": True, **extra}, "u:a")
    assert list(raised.value.fields) == [field]
    assert all(isinstance(m, str) and m for m in raised.value.fields[field])
    assert _stored(db, instance_id) == before
    with db.session() as session:
        assert session.scalars(select(Consent)).all() == []
    assert sim.open_task("vragen", "T-6").id == task.id


def test_a_companion_without_its_consent_field_is_refused(db, settings, clock) -> None:
    sim = _sim(db, settings, clock)
    instance_id = sim.start("test_toestemming", "T-8", parties={"team": "team-a"})
    task = sim.open_task("vragen", "T-8")
    before = _stored(db, instance_id)
    with pytest.raises(InvalidInput) as raised, db.transaction() as session:
        service.complete_task(session, task.id, {"kanaal_toestemming_gesprek": "digitaal"}, "u")
    assert list(raised.value.fields) == ["kanaal_toestemming_gesprek"]
    assert _stored(db, instance_id) == before


def test_record_checks_its_arguments_before_the_database_does(db, settings, clock) -> None:
    sim = _sim(db, settings, clock)
    instance_id = sim.start("test_toestemming", "T-9", parties={"team": "team-a"})
    other_id = sim.start("test_toestemming", "T-10", parties={"team": "team-a"})
    foreign = _document(db, other_id)
    cases = [
        ({"evidence_document_id": 424242}, "evidence_document_id"),
        ({"evidence_document_id": foreign}, "evidence_document_id"),
        ({"evidence_document_id": 2**40}, "evidence_document_id"),
        ({"given_by": "x" * 301}, "given_by"),
        ({"given_by": "  "}, "given_by"),
        ({"channel": "telepathisch"}, "channel"),
    ]
    for change, field in cases:
        arguments = {"given_by": "bewoner", "channel": "schriftelijk", "recorded_by": "u:a"}
        arguments.update(change)
        with pytest.raises(InvalidInput) as raised, db.transaction() as session:
            consent.record(session, instance_id, "gesprek", True, **arguments)
        assert list(raised.value.fields) == [field], change
    with db.session() as session:
        assert session.scalars(select(Consent)).all() == []
        assert (
            session.scalars(
                select(InstanceEvent).where(InstanceEvent.kind.like("toestemming_%"))
            ).all()
            == []
        )


# -- heeft_toestemming(scope, schriftelijk=...) ----------------------------------------------


def _ask(db, instance_id: str, *args, **kwargs) -> bool:
    with db.session() as session:
        fake = SimpleNamespace(session=session, row=SimpleNamespace(id=instance_id))
        token = _CURRENT.set(fake)  # type: ignore[arg-type]
        try:
            return heeft_toestemming(*args, **kwargs)
        finally:
            _CURRENT.reset(token)


def test_heeft_toestemming_follows_the_latest_consent_and_its_form(db, settings, clock) -> None:
    sim = _sim(db, settings, clock)
    instance_id = sim.start("test_toestemming", "T-11", parties={"team": "team-a"})
    document_id = _document(db, instance_id)
    assert not _ask(db, instance_id, "gesprek")
    steps = [
        # (channel, evidence, given) -> (any consent, in writing)
        (("mondeling", None, True), (True, False)),
        (("schriftelijk", None, True), (True, False)),  # paper, but no form in the case
        (("schriftelijk", document_id, True), (True, True)),
        (("mondeling", None, False), (False, False)),  # the latest record counts
        (("digitaal", None, True), (True, True)),
    ]
    for (channel, evidence, given), expected in steps:
        clock.advance(timedelta(minutes=1))
        with db.transaction() as session:
            consent.record(
                session,
                instance_id,
                "gesprek",
                given,
                given_by="bewoner",
                channel=channel,
                recorded_by="u:a",
                evidence_document_id=evidence,
            )
        found = (_ask(db, instance_id, "gesprek"), _ask(db, instance_id, "gesprek", True))
        assert found == expected, (channel, evidence, given)
        assert _ask(db, instance_id, "gesprek", schriftelijk=True) == expected[1]
    with db.transaction() as session:
        consent.withdraw(session, instance_id, "gesprek", withdrawn_by="u:a", channel="digitaal")
    assert not _ask(db, instance_id, "gesprek")
    assert not _ask(db, instance_id, "gesprek", schriftelijk=True)
    assert not _ask(db, instance_id, "budgetbeheer")


WRITTEN = "heeft_toestemming('gesprek', schriftelijk=True)"


@pytest.mark.parametrize(
    ("companions", "end"),
    [
        ({"kanaal_toestemming_gesprek": "mondeling"}, "geweigerd"),
        ({"bewijs_toestemming_gesprek": "TF-1"}, "geweigerd"),
        ({"bewijs_toestemming_gesprek": "DOC"}, None),
        ({"kanaal_toestemming_gesprek": "digitaal"}, None),
    ],
)
def test_a_diagram_can_ask_for_written_consent(
    db, settings, clock, tmp_path, companions, end
) -> None:
    xml = PROCESS.read_text().replace("heeft_toestemming('gesprek')", WRITTEN)
    catalogue = PROCESS.with_name("toestemming.catalogus.yaml").read_text()
    deploy_paths(db, write_variant(tmp_path, "toestemming.bpmn", xml, catalogue))
    sim = Simulation(db, settings, clock, through_forms=False)
    instance_id = sim.start("test_toestemming", "T-12", parties={"team": "team-a"})
    if companions.get("bewijs_toestemming_gesprek") == "DOC":
        companions = {"bewijs_toestemming_gesprek": str(_document(db, instance_id))}
    sim.complete("vragen", "T-12", {"toestemming_gesprek": True, **companions})
    if end is None:
        assert sim.open_task("gesprek", "T-12") is not None
    else:
        assert sim.end_events() == {end: 1}


def _stored(db, instance_id: str) -> tuple:
    with db.session() as session:
        row = session.get(ProcessInstance, instance_id)
        assert row is not None
        events = session.scalars(
            select(InstanceEvent.kind).where(InstanceEvent.instance_id == instance_id)
        ).all()
        return row.revision, row.state, dict(row.data or {}), list(events)


# -- what the form asks (issue 21) ------------------------------------------------------------


def _with_form(db, settings, clock, tmp_path, component: dict) -> Simulation:
    """The consent process with a form on "vragen": `component` for the consent field, and
    the companions' fields."""
    import json

    from app.engine.deploy import deploy

    xml = PROCESS.read_text().replace(
        '<bpmn:userTask id="vragen" name="Toestemming vragen">',
        '<bpmn:userTask id="vragen" name="Toestemming vragen" camunda:formKey="vragen.form">',
    )
    catalogue = PROCESS.with_name("toestemming.catalogus.yaml").read_text()
    path = write_variant(tmp_path, "toestemming.bpmn", xml, catalogue)
    form = {
        "id": "vragen",
        "type": "default",
        "components": [
            {"id": "Veld_toestemming", "key": "toestemming_gesprek", **component},
            {"id": "Veld_kanaal", "key": "kanaal_toestemming_gesprek", "type": "textfield"},
            {"id": "Veld_bewijs", "key": "bewijs_toestemming_gesprek", "type": "textfield"},
        ],
    }
    (tmp_path / "vragen.form").write_text(json.dumps(form))
    with db.transaction() as session:
        deploy(session, [path], tmp_path, actor="test")
    return Simulation(db, settings, clock, through_forms=False)


def _consents(db) -> list[tuple]:
    with db.session() as session:
        rows = session.scalars(select(Consent).order_by(Consent.id)).all()
        return [(c.scope, c.given, c.channel, c.evidence_document_id, c.note) for c in rows]


CHECKBOX = {"type": "checkbox", "label": "Bewoner geeft toestemming"}
YES_NO = {
    "type": "radio",
    "label": "Geeft de bewoner toestemming?",
    "values": [{"label": "Ja", "value": True}, {"label": "Nee", "value": False}],
}


def test_an_unticked_consent_box_records_nothing(db, settings, clock, tmp_path) -> None:
    """Not asking is no refusal: a box left unticked puts nothing in the registry (before,
    it was recorded as "geweigerd, mondeling"). The process still reads the field."""
    sim = _with_form(db, settings, clock, tmp_path, CHECKBOX)
    sim.start("test_toestemming", "T-20", parties={"team": "team-a"})
    sim.complete("vragen", "T-20", {"toestemming_gesprek": False})
    assert _consents(db) == []
    assert sim.end_events() == {"geweigerd": 1}  # no consent: the other path, as before


def test_a_refusal_is_recorded_where_the_form_asks_yes_or_no(db, settings, clock, tmp_path):  # type: ignore[no-untyped-def]
    sim = _with_form(db, settings, clock, tmp_path, YES_NO)
    sim.start("test_toestemming", "T-21", parties={"team": "team-a"})
    sim.complete("vragen", "T-21", {"toestemming_gesprek": False})
    assert _consents(db) == [("gesprek", False, "mondeling", None, None)]


def test_the_channel_comes_from_the_form(db, settings, clock, tmp_path) -> None:
    """A box that says "schriftelijk" records a written consent, not an oral one; and a
    written consent carries its document (or the reference of the paper form)."""
    written = {**CHECKBOX, "properties": {"kanaal": "schriftelijk"}}
    sim = _with_form(db, settings, clock, tmp_path, written)
    instance_id = sim.start("test_toestemming", "T-22", parties={"team": "team-a"})
    task = sim.open_task("vragen", "T-22")
    with db.transaction() as session, pytest.raises(InvalidInput) as raised:
        service.complete_task(session, task.id, {"toestemming_gesprek": True}, "u")
    assert list(raised.value.fields) == ["bewijs_toestemming_gesprek"]
    assert "ondertekende formulier" in raised.value.fields["bewijs_toestemming_gesprek"][0]
    assert _consents(db) == []

    document_id = _document(db, instance_id)
    sim.complete(
        "vragen",
        "T-22",
        {"toestemming_gesprek": True, "bewijs_toestemming_gesprek": str(document_id)},
    )
    assert _consents(db) == [("gesprek", True, "schriftelijk", document_id, None)]
    # The read rule that asks for written consent sees it.
    assert _ask(db, instance_id, "gesprek", schriftelijk=True)


def test_a_written_consent_without_its_document_is_refused(db, settings, clock) -> None:
    """Also when the channel is chosen on the form: "schriftelijk" needs the evidence."""
    sim = _sim(db, settings, clock)
    sim.start("test_toestemming", "T-23", parties={"team": "team-a"})
    task = sim.open_task("vragen", "T-23")
    values = {"toestemming_gesprek": True, "kanaal_toestemming_gesprek": "schriftelijk"}
    with db.transaction() as session, pytest.raises(InvalidInput) as raised:
        service.complete_task(session, task.id, values, "u")
    assert list(raised.value.fields) == ["toestemming_gesprek"]  # no evidence field sent
    assert _consents(db) == []


def test_a_read_rule_can_require_written_consent(db, settings, clock, tmp_path) -> None:
    """`lezen: {team: {fasen: "*", toestemming: gesprek, schriftelijk: ja}}`: an oral
    consent does not open the field, a written one (signed form in the case) does."""
    from app.catalogue.parser import load
    from app.privacy.access import given_consents, readable_fields

    catalogue_text = PROCESS.with_name("toestemming.catalogus.yaml").read_text() + (
        "  verslag: {omschrijving: Verslag, categorie: gezondheid, type: tekst, doel: gesprek,"
        " grondslag: toestemming, bewaartermijn: P1Y, voorbeeld: x,"
        " lezen: {team: {fasen: '*', toestemming: gesprek, schriftelijk: ja}}}\n"
    )
    path = write_variant(tmp_path, "toestemming.bpmn", PROCESS.read_text(), catalogue_text)
    catalogue = load(path.with_name("toestemming.catalogus.yaml"))
    sim = _sim(db, settings, clock)
    instance_id = sim.start("test_toestemming", "T-30", parties={"team": "team-a"})
    data = {"verslag": "gesprek gevoerd"}

    def readable() -> list[str]:
        with db.session() as session:
            given = given_consents(session, instance_id)
        return readable_fields(catalogue, {"team"}, "gesprek", given, data)

    assert "verslag" not in readable()
    for channel, document in (("mondeling", None), ("schriftelijk", None), ("schriftelijk", 1)):
        clock.advance(timedelta(minutes=1))
        evidence = _document(db, instance_id) if document else None
        with db.transaction() as session:
            consent.record(
                session,
                instance_id,
                "gesprek",
                True,
                given_by="bewoner",
                channel=channel,
                recorded_by="u:a",
                evidence_document_id=evidence,
            )
        assert ("verslag" in readable()) == bool(document), channel

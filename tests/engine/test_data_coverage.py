"""Data coverage (issue 19, acceptance 2): an optional field counts once a scenario ran an
element that reads it without a value of its own; a field shown only under a condition is
proven safe when its readers lie behind a flow with that condition. The suite fails below
100% (tests/conftest.py); this tests the judgement itself."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import select

from app.auth.principal import SYSTEM
from app.cases.service import start_case
from app.catalogue.parser import from_json
from app.engine.models import ProcessInstance, ProcessVersion
from app.engine.runtime import load_workflow
from app.simulation.coverage import left_out, no_value, optional_fields, proven_safe
from tests.support.engine import deploy_paths
from tests.support.orgs import organisation

HERSTEL = Path(__file__).resolve().parents[1] / "manage" / "fixtures" / "herstel.bpmn"


def test_a_field_counts_once_a_reader_ran_without_it(db, clock) -> None:
    organisation(db, "weert-sdv", "gemeente")
    deploy_paths(db, HERSTEL)
    ids = []
    for key, data in (("MET", {"bedrag": 600, "maanden": 6}), ("ZONDER", {"bedrag": 600})):
        with db.transaction() as session:
            row = start_case(
                session,
                SYSTEM,
                "test_herstel",
                business_key=key,
                data=data,
                municipality="weert",
                parties={"behandelaar": "weert-sdv"},
            )
            ids.append(row.id)
    with db.session() as session:
        version = session.scalars(select(ProcessVersion)).one()
        assert version.elements["maandbedrag"]["reads"] == ["bedrag", "maanden"]
        catalogue = from_json(version.catalogue)
        # `maanden` has `standaard: null`: left out, the case starts with None.
        fields = no_value(catalogue, version.forms, ["maanden"])
        found = []
        for instance_id in ids:
            row = session.get(ProcessInstance, instance_id)
            found.append(
                left_out(
                    load_workflow(session, row.version_id, row.state), version.elements, fields
                )
            )
    assert found == [set(), {"maanden"}]


ELEMENTS = {
    "vragen": {"type": "userTask", "form": "vragen.form"},
    "keuze": {"type": "exclusiveGateway"},
    "lezen": {"type": "serviceTask", "reads": ["nummer"]},
    "einde": {"type": "endEvent"},
    "f1": {"type": "sequenceFlow", "source": "vragen", "target": "keuze"},
    "f2": {
        "type": "sequenceFlow",
        "source": "keuze",
        "target": "lezen",
        "condition": "${ gevonden }",
    },
    "f3": {"type": "sequenceFlow", "source": "keuze", "target": "einde"},
}
FORMS = {
    "vragen.form": {
        "components": [
            {"key": "gevonden", "type": "checkbox"},
            {
                "key": "nummer",
                "type": "textfield",
                "validate": {"required": True},
                "conditional": {"hide": "=not(gevonden)"},
            },
        ]
    }
}


def test_a_field_required_when_shown_is_safe_when_read_only_behind_its_condition() -> None:
    assert optional_fields(None, FORMS) == {
        "gevonden": ["formulier vragen.form"],
        "nummer": ["formulier vragen.form"],
    }
    assert proven_safe(ELEMENTS, FORMS, "nummer", signal_optional=False)
    # Read on the other branch too: a path without it reaches a reader.
    leaky = {**ELEMENTS, "einde": {"type": "scriptTask", "reads": ["nummer"]}}
    assert not proven_safe(leaky, FORMS, "nummer", signal_optional=False)
    # The opposite condition does not guard it.
    opposite = {**ELEMENTS, "f2": {**ELEMENTS["f2"], "condition": "${not gevonden}"}}
    assert not proven_safe(opposite, FORMS, "nummer", signal_optional=False)
    # Optional in the signal as well: it may be missing without the form.
    assert not proven_safe(ELEMENTS, FORMS, "nummer", signal_optional=True)

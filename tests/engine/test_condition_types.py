"""Deploy refuses a condition that compares a catalogue field with a value of another type,
uses a text or number as true/false, or names a choice the field does not have
(app/engine/condition_types.py): each deploys and then silently takes the wrong path."""

from __future__ import annotations

from pathlib import Path

import pytest

from app.engine.condition_types import condition_problems
from app.engine.errors import DeploymentError
from app.engine.expressions import plain_expression
from tests.support.camunda import write_diagram
from tests.support.engine import deploy_paths

TYPES = {
    "opmerking": ("tekst", []),
    "besluit": ("keuze", ["toegekend", "afgewezen"]),
    "bedrag": ("bedrag", []),
    "aantal": ("getal", []),
    "akkoord": ("ja_nee", []),
    "peildatum": ("datum", []),
    "dossiers": ("lijst", []),
    "adres": ("object", []),
}


def problems(condition: str) -> list[str]:
    source = plain_expression(condition)
    assert source is not None
    return condition_problems(source, TYPES)


@pytest.mark.parametrize(
    "condition",
    [
        "${akkoord}",
        "${!akkoord}",
        "${akkoord == true}",
        "${akkoord && bedrag > 100}",
        "${besluit == 'afgewezen'}",
        '${besluit != "toegekend"}',
        "${opmerking == 'spoed'}",
        "${not empty opmerking}",
        "${empty opmerking || aantal >= 2}",
        "${bedrag > 0 and bedrag <= 1500.50}",
        "${opmerking == null}",
        "${peildatum < '2026-01-01'}",
        "${len(dossiers) > 0}",
        "${onbekend == 1}",  # not catalogued: the data-flow check's business
        "${1 < aantal < 10}",
        "${(akkoord ? bedrag : aantal) > 5}",
        "${adres['postcode'] == '1234AB'}",
        "${adres.get('postcode') == '1234AB'}",  # a method of the dict, not an entry
        "${opmerking.startswith('spoed')}",
    ],
)
def test_conditions_of_the_fields_own_types_pass(condition: str) -> None:
    assert problems(condition) == []


@pytest.mark.parametrize(
    ("condition", "expected"),
    [
        ("${besluit == 1}", "besluit (keuze) is tekst en wordt vergeleken met 1"),
        ("${opmerking != 0}", "schrijf '0'"),
        ("${aantal == '3'}", "aantal (getal) is een getal en wordt vergeleken met '3': JUEL"),
        ("${aantal == '3'}", "Python niet; schrijf 3"),
        ("${bedrag > 'veel'}", "schrijf een getal zonder aanhalingstekens"),
        ("${aantal == true}", "aantal (getal) is een getal"),
        ("${akkoord == 'true'}", "akkoord (ja_nee) is waar of onwaar"),
        ("${akkoord eq 1}", "schrijf true of false"),
        ("${besluit == 'afgeweezen'}", "'afgeweezen' is geen van de keuzes van besluit"),
        ("${opmerking}", "opmerking is een veld van type tekst, geen ja_nee"),
        ("${!opmerking}", "${not empty opmerking}"),
        ("${akkoord && aantal}", "aantal is een veld van type getal"),
        ("${besluit}", "${besluit == 'toegekend'}"),
        ("${aantal}", "${aantal > 0}"),
        ("${1 == aantal or opmerking == 2}", "opmerking (tekst)"),
        ("${akkoord ? opmerking : false}", "opmerking is een veld van type tekst"),
        ("${adres.postcode == '1234AB'}", "lees het onderdeel als adres['postcode']"),
    ],
)
def test_a_field_against_another_type_is_refused(condition: str, expected: str) -> None:
    found = problems(condition)
    assert len(found) == 1 and expected in found[0], found


XML = """<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
    xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" id="d" targetNamespace="t">
  <bpmn:process id="keuze" isExecutable="true">
    <bpmn:startEvent id="s" />
    <bpmn:exclusiveGateway id="gw" default="anders" />
    <bpmn:endEvent id="e1" />
    <bpmn:endEvent id="e2" />
    <bpmn:sequenceFlow id="f1" sourceRef="s" targetRef="gw" />
    <bpmn:sequenceFlow id="een" sourceRef="gw" targetRef="e1">
      <bpmn:conditionExpression xsi:type="bpmn:tFormalExpression"
        >${stand == 1}</bpmn:conditionExpression>
    </bpmn:sequenceFlow>
    <bpmn:sequenceFlow id="anders" sourceRef="gw" targetRef="e2" />
  </bpmn:process>
</bpmn:definitions>
"""


def test_deploy_names_file_element_line_and_what_to_write(db, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    path = write_diagram(tmp_path, "keuze", XML, {"stand": "1"}, ["stand"])
    with pytest.raises(DeploymentError) as refused:
        deploy_paths(db, path)
    found = [p for p in refused.value.problems if "voorwaarde:" in p.message]
    assert [(Path(p.file).name, p.element, p.line) for p in found] == [("keuze.bpmn", "een", 10)]
    assert "stand (tekst) is tekst en wordt vergeleken met 1" in found[0].message
    assert "schrijf '1'" in found[0].message


def test_a_condition_nested_beyond_the_parser_is_refused_not_a_crash(db, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """Python's parser gives up on `not not … x` thousands deep with a RecursionError, not a
    SyntaxError: every analysis skips such a source and the sandbox check refuses it."""
    hostile = XML.replace("${stand == 1}", "${" + "not " * 5000 + "stand}")
    path = write_diagram(tmp_path, "keuze", hostile, {"stand": "1"}, ["stand"])
    with pytest.raises(DeploymentError) as refused:
        deploy_paths(db, path)
    assert [(p.element, p.message) for p in refused.value.problems] == [
        ("gw", "voorwaarde: te diep genest om te compileren")
    ]

"""Deploy's data-flow analysis: a variable read where some path leaves it unset is refused,
with the file, the element, the line, the variable and such a path (app/engine/dataflow.py)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from app.engine.branch_reads import assigned_names
from app.engine.dataflow import known_names, script_effect
from app.engine.deploy import parse_files
from app.engine.errors import DeploymentError
from tests.conftest import ROOT

FORMS = ROOT / "forms"


def _haarlem(tmp_path: Path, change_diagram=None, change_catalogue=None) -> Path:
    """A copy of the Haarlem diagram and catalogue, changed as the test plants it."""
    diagram = (ROOT / "bpmn" / "haarlem_preventie.bpmn").read_text()
    catalogue = (ROOT / "bpmn" / "haarlem_preventie.catalogus.yaml").read_text()
    if change_diagram:
        changed = change_diagram(diagram)
        assert changed != diagram, "the plant did not take"
        diagram = changed
    if change_catalogue:
        changed = change_catalogue(catalogue)
        assert changed != catalogue, "the plant did not take"
        catalogue = changed
    path = tmp_path / "haarlem_preventie.bpmn"
    path.write_text(diagram)
    (tmp_path / "haarlem_preventie.catalogus.yaml").write_text(catalogue)
    return path


def _problems(path: Path, forms: Path = FORMS) -> list:
    with pytest.raises(DeploymentError) as caught:
        parse_files([path], forms)
    return caught.value.problems


def test_the_five_processes_pass() -> None:
    processes = parse_files(sorted((ROOT / "bpmn").glob("*.bpmn")), FORMS)
    assert len(processes) == 5
    haarlem = next(p for p in processes if p.key == "haarlem_preventie")
    # What each element reads is kept with the version (repair page, data coverage).
    assert "aantal_bewoners" in haarlem.elements["prioriteit_standaard"]["reads"]
    assert "ontruimingsdatum" in haarlem.elements["troubleshooter_actie"]["reads"]


def test_the_report_without_aantal_bewoners_is_found(tmp_path: Path) -> None:
    """The path of issue 19, planted back: without the guard in 'Melding vastleggen', the
    script 'Standaard prioriteit' reads the optional aantal_bewoners on the path of a tenant
    the BRP does not know."""
    guard = "try:\n    aantal_bewoners\nexcept NameError:\n    aantal_bewoners = None\n"
    path = _haarlem(tmp_path, lambda xml: xml.replace(guard, ""))
    [problem] = _problems(path)
    text = path.read_text().splitlines()
    assert problem.file == str(path) and problem.element == "prioriteit_standaard"
    assert "doelgroep = 'alleenstaand' if aantal_bewoners == 1" in text[problem.line - 1]
    assert "'aantal_bewoners'" in problem.message
    assert (
        "Melding vastleggen en termijnen berekenen → Wachtlijst groter dan het team aankan? "
        "→ Huurder opzoeken in BRP → Huurder in BRP? → Standaard prioriteit" in problem.message
    )


def test_a_message_must_bring_what_is_read_after_it(tmp_path: Path) -> None:
    path = _haarlem(
        tmp_path,
        change_catalogue=lambda text: text.replace(
            "  ontruimingsdatum_bekend: {verplicht: [ontruimingsdatum], afzenders: [corporatie]}\n",
            "",
        ),
    )
    [problem] = _problems(path)
    assert problem.element == "troubleshooter_actie"
    assert "camunda:dueDate leest 'ontruimingsdatum'" in problem.message
    assert problem.message.index("Wachten op datum ontruiming") < problem.message.index(
        "Nogmaals regeling proberen"
    )


def test_a_timer_reading_an_optional_field_is_refused(tmp_path: Path) -> None:
    """The bailiff date is optional in the signal and in the form (shown on a condition):
    the timer of art. 3.4 may not read it directly."""
    path = _haarlem(
        tmp_path,
        lambda xml: xml.replace(
            '<bpmn:timeDate xsi:type="bpmn:tFormalExpression">${melden_taak_op}',
            '<bpmn:timeDate xsi:type="bpmn:tFormalExpression">${dagen_voor(deurwaarderdatum, 14)}',
        ),
    )
    [problem] = _problems(path)
    assert problem.element == "melden_uiterlijk" and "timer leest 'deurwaarderdatum'" in (
        problem.message
    )
    assert "Meldtaak klaarzetten" in problem.message  # the path ends at the timer


def test_a_catalogue_default_makes_an_optional_field_safe(tmp_path: Path) -> None:
    guard = "try:\n    aantal_bewoners\nexcept NameError:\n    aantal_bewoners = None\n"
    path = _haarlem(
        tmp_path,
        lambda xml: xml.replace(guard, ""),
        lambda text: text.replace(
            "    voorbeeld: 4\n", "    voorbeeld: 4\n    standaard: null\n", 1
        ),
    )
    assert parse_files([path], FORMS)


# -- the graph -------------------------------------------------------------------------------

HEAD = (
    '<?xml version="1.0" encoding="UTF-8"?>\n'
    '<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" '
    'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" id="d" targetNamespace="t">\n'
    '<bpmn:process id="test_df" isExecutable="true">\n'
)
CATALOGUE = """proces: test_df
verwerkingsactiviteit: test-df
partijen:
  team: {naam: Team}
fasen:
  alles: [%s]
velden:
%s
"""
FIELD = (
    "  {0}: {{omschrijving: {0}, categorie: proces, type: tekst, doel: test, "
    "grondslag: publieke_taak, bewaartermijn: P1M, voorbeeld: a, lezen: {{team: '*'}}}}"
)


def _diagram(tmp_path: Path, split: str, join: str, branch_a: str, last: str) -> Path:
    """start -> split -> (a: script `branch_a` | b: nothing) -> join -> script `last`."""
    ids = ["s", "g1", "a", "b", "g2", "last", "e"]
    body = (
        '<bpmn:startEvent id="s"/>'
        + (
            '<bpmn:exclusiveGateway id="g1" default="f2"/>'
            if split == "exclusiveGateway"
            else f'<bpmn:{split} id="g1"/>'
        )
        + f'<bpmn:scriptTask id="a" scriptFormat="python"><bpmn:script>{branch_a}</bpmn:script>'
        "</bpmn:scriptTask>"
        '<bpmn:scriptTask id="b" scriptFormat="python"><bpmn:script>y = 1</bpmn:script>'
        "</bpmn:scriptTask>"
        f'<bpmn:{join} id="g2"/>'
        f'<bpmn:scriptTask id="last" scriptFormat="python"><bpmn:script>{last}</bpmn:script>'
        '</bpmn:scriptTask><bpmn:endEvent id="e"/>'
    )
    flows = [("s", "g1"), ("g1", "a"), ("g1", "b"), ("a", "g2"), ("b", "g2"), ("g2", "last")]
    flows.append(("last", "e"))
    condition = (
        '<bpmn:conditionExpression xsi:type="bpmn:tFormalExpression">${True}'
        "</bpmn:conditionExpression>"
    )
    body += "".join(
        f'<bpmn:sequenceFlow id="f{i}" sourceRef="{a}" targetRef="{b}">'
        + (condition if i == 1 and split == "exclusiveGateway" else "")
        + "</bpmn:sequenceFlow>"
        for i, (a, b) in enumerate(flows)
    )
    path = tmp_path / "test_df.bpmn"
    path.write_text(HEAD + body + "</bpmn:process></bpmn:definitions>\n")
    fields = "\n".join(FIELD.format(n) for n in ("x", "y", "z"))
    (tmp_path / "test_df.catalogus.yaml").write_text(CATALOGUE % (", ".join(ids), fields))
    return path


def test_after_an_exclusive_merge_only_what_every_branch_wrote(tmp_path: Path) -> None:
    path = _diagram(tmp_path, "exclusiveGateway", "exclusiveGateway", "x = 1", "z = x")
    [problem] = _problems(path, tmp_path)
    assert (problem.element, problem.line) == ("last", 4)  # the diagram is one line
    assert "script leest 'x'" in problem.message and "s → g1 → b → g2 → last" in problem.message


def test_after_a_parallel_join_what_any_branch_wrote(tmp_path: Path) -> None:
    path = _diagram(tmp_path, "parallelGateway", "parallelGateway", "x = 1", "z = x + str(y)")
    assert parse_files([path], tmp_path)


def test_a_branch_that_writes_only_on_one_side_of_an_if_is_refused(tmp_path: Path) -> None:
    script = "if 1 > 0:\n    x = 1"
    path = _diagram(tmp_path, "parallelGateway", "parallelGateway", script, "z = x")
    [problem] = _problems(path, tmp_path)
    assert problem.element == "last" and "'x'" in problem.message


# -- inside a script ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("script", "defined", "reads"),
    [
        ("a = b", set(), ["b"]),
        ("a = 1\nb = a", set(), []),
        ("if c:\n    a = 1\nb = a", {"c"}, ["a"]),
        ("if c:\n    a = 1\nelse:\n    a = 2\nb = a", {"c"}, []),
        ("try:\n    a\nexcept NameError:\n    a = None\nb = a", set(), []),
        ("try:\n    a = x\nexcept KeyError:\n    a = None", set(), ["x"]),
        ("for i in range(3):\n    a = i\nb = a", set(), ["a"]),
        ("b = [i for i in range(3) if i]", set(), []),
        ("a = werkdagen(2)", set(), []),
        ("a += 1", set(), ["a"]),
    ],
)
def test_reads_before_writes_in_a_script(script: str, defined: set[str], reads: list) -> None:
    _after, found = script_effect(script, defined, known_names())
    assert [name for name, _line in found] == reads


def test_the_line_is_the_script_line(tmp_path: Path) -> None:
    shutil.rmtree(tmp_path / "x", ignore_errors=True)
    _after, found = script_effect("a = 1\n\nb = c", set(), known_names())
    assert found == [("c", 3)]


def test_a_gateway_condition_reading_an_optional_field_is_refused(tmp_path: Path) -> None:
    """A condition is a read like any other: the gateway after 'Regeling treffen' may not read
    the eviction date, which no path to it is sure to have written."""
    path = _haarlem(
        tmp_path,
        lambda xml: xml.replace(
            "${regeling_getroffen}", "${regeling_getroffen or ontruimingsdatum}"
        ),
    )
    found = _problems(path)
    # A date as true/false is refused by its type as well (app/engine/condition_types.py).
    [typed] = [p for p in found if "van type datum" in p.message]
    # The eviction date is written in another branch of the trajectory's split, which the
    # gateway would not see before the join (app/engine/branch_reads.py).
    [concurrent] = [p for p in found if "parallelle tak" in p.message]
    assert concurrent.element == "gw_regeling" and "'ontruimingsdatum'" in concurrent.message
    [problem] = [p for p in found if p not in (typed, concurrent)]
    assert problem.element == "gw_regeling"
    assert "voorwaarde leest 'ontruimingsdatum'" in problem.message
    assert 'id="gw_regeling"' in path.read_text().splitlines()[problem.line - 1]


def test_a_checkbox_left_out_is_written_as_unticked() -> None:
    """So a gateway may read an optional checkbox: a completion through the API or the command
    line that leaves it out stores false, as the browser's form does; a box the user cannot
    change is not written, a required one is still required."""
    from app.tasks import forms

    schema = {
        "components": [
            {"key": "akkoord", "type": "checkbox", "label": "Akkoord"},
            {"key": "getoond", "type": "checkbox", "label": "Eerder", "readonly": True},
            {"key": "uit", "type": "checkbox", "label": "Uit", "disabled": True},
            {"key": "verplicht", "type": "checkbox", "validate": {"required": True}},
        ]
    }
    clean, errors = forms.validate(schema, {"verplicht": True})
    assert (clean, errors) == ({"akkoord": False, "verplicht": True}, {})
    clean, errors = forms.validate(schema, {"akkoord": True})
    assert clean == {"akkoord": True} and errors == {"verplicht": ["Vul dit veld in."]}


def test_what_a_script_may_write() -> None:
    """The branch check counts every name a script may set, in any branch of it, and the
    variables it changes in place; not its comprehension or lambda variables."""
    source = (
        "if a:\n    b = 1\nc[0] = 2\nd.e = 3\nf.append(4)\ng += 1\n"
        "h = [x for x in a]\nk = lambda y: y\nfor m in a:\n    pass\n"
    )
    assert assigned_names(source) == {"b", "c", "d", "f", "g", "h", "k", "m"}

"""Deploy refuses a form with a component the task service cannot check and store: the
editor's palette offers form-js's file picker, repeating group and computed field, and a
group may nest its fields under a path; such a form deployed, and every completion of its
task was refused ("dit veld bestaat niet in het formulier")."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from app.engine.deploy import parse_files
from app.engine.errors import DeploymentError
from app.tasks import forms
from tests.support.engine import FIXTURES

FORM = json.loads((FIXTURES / "test-beoordelen.form").read_text())


def _with(*extra: dict) -> dict:
    return {**FORM, "components": [*FORM["components"], *extra]}


@pytest.mark.parametrize(
    ("component", "words"),
    [
        ({"type": "filepicker", "key": "bijlage"}, ["'bijlage'", "'filepicker'", "zaakpagina"]),
        (
            {"type": "dynamiclist", "key": "kinderen", "path": "kinderen", "components": []},
            ["'kinderen'", "laat 'path' leeg"],
        ),
        ({"type": "expression", "key": "totaal"}, ["'totaal'", "scripttaak"]),
        (
            {"type": "group", "path": "adres", "components": [{"type": "textfield", "key": "s"}]},
            ["'adres'", "laat 'path' leeg"],
        ),
        ({"type": "textfield"}, ["heeft geen sleutel"]),
        (
            {"type": "select", "key": "team", "valuesKey": "teams"},
            ["'team'", "vaste mogelijkheden"],
        ),
    ],
)
def test_a_component_the_server_cannot_take_is_named(component: dict, words: list[str]) -> None:
    [problem] = forms.form_problems(_with(component))
    assert all(word in problem for word in words), problem


def test_what_the_server_checks_and_what_only_shows_pass() -> None:
    shown = [
        {"type": "text", "text": "Uitleg"},
        {"type": "separator"},
        {"type": "spacer"},
        {"type": "image", "source": "x.png"},
        {"type": "group", "components": [{"type": "checkbox", "key": "akkoord"}]},
    ]
    assert forms.form_problems(_with(*shown)) == []
    for path in sorted((FIXTURES.parents[1] / "forms").glob("*.form")):  # every product form
        assert forms.form_problems(json.loads(path.read_text("utf-8"))) == [], path


def test_deploy_names_the_task_the_form_and_the_component(tmp_path: Path) -> None:
    folder = tmp_path / "forms"
    folder.mkdir()
    form = _with({"type": "filepicker", "key": "bijlage", "label": "Bijlage"})
    (folder / "test-beoordelen.form").write_text(json.dumps(form))
    with pytest.raises(DeploymentError) as info:
        parse_files([FIXTURES / "inbox.bpmn"], [folder, FIXTURES])
    [problem] = [p for p in info.value.problems if "filepicker" in p.message]
    assert problem.element == "beoordelen" and problem.line == 18
    assert problem.file.endswith("inbox.bpmn")
    assert problem.message.startswith("formulier 'test-beoordelen.form': onderdeel 'bijlage'")


def test_a_form_nested_past_what_json_can_read_is_refused_not_a_crash(tmp_path: Path) -> None:
    """A form of groups nested a thousand deep crashed deploy (RecursionError reading it)."""
    folder = tmp_path / "forms"
    folder.mkdir()
    deep = '{"type": "group", "components": [' * 1500 + '{"type": "text"}' + "]}" * 1500
    text = json.dumps(FORM)[:-2] + ", " + deep + "]}"  # after the form's own components
    (folder / "test-beoordelen.form").write_text(text)
    with pytest.raises(DeploymentError) as info:
        parse_files([FIXTURES / "inbox.bpmn"], [folder, FIXTURES])
    [problem] = [p for p in info.value.problems if "test-beoordelen.form" in p.message]
    assert "te diep genest" in problem.message and problem.element == "beoordelen"


def test_a_form_of_thousands_of_refused_components_gets_a_short_answer() -> None:
    many = [{"type": "filepicker", "key": "b" * 5000 + str(n)} for n in range(5000)]
    problems = forms.form_problems(_with(*many))
    assert len(problems) == 21 and problems[-1] == "en nog 4980 zulke onderdelen"
    assert max(len(p) for p in problems) < 300

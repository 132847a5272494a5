"""Element templates from the handlers validate against Camunda's official schema (the npm
package @camunda/element-templates-json-schema, installed by scripts/setup), and bind exactly
what deploy expects of a service task."""

from __future__ import annotations

import json

import jsonschema
import pytest
from click.testing import CliRunner

import handlers
from app.cli import main
from app.modelling.templates import element_templates
from tests.conftest import ROOT

SCHEMA_FILE = ROOT / "node_modules/@camunda/element-templates-json-schema/resources/schema.json"


@pytest.fixture(scope="module")
def schema() -> dict:
    return json.loads(SCHEMA_FILE.read_text("utf-8"))


def test_every_handler_has_a_template_that_validates(schema) -> None:
    templates = element_templates()
    assert sorted(t["id"] for t in templates) == sorted(
        f"stroom.{topic}" for topic in handlers.load_all()
    )
    jsonschema.validate(templates, schema)
    for template in templates:
        jsonschema.validate(template, schema)


def test_the_schema_refuses_a_broken_template(schema) -> None:
    broken = dict(element_templates()[0])
    broken["properties"] = [{"type": "String", "value": "x"}]  # a property without a binding
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(broken, schema)


def test_the_bindings_are_the_handlers_topic_inputs_and_outputs() -> None:
    for template in element_templates():
        handler = handlers.get(template["id"].removeprefix("stroom."))
        assert handler is not None
        bindings = [p["binding"] for p in template["properties"]]
        assert {"type": "property", "name": "camunda:topic"} in bindings
        assert [p["value"] for p in template["properties"][:2]] == ["external", handler.topic]
        inputs = {b["name"] for b in bindings if b["type"] == "camunda:inputParameter"}
        outputs = {b["source"] for b in bindings if b["type"] == "camunda:outputParameter"}
        assert inputs == set(handler.inputs)
        assert outputs == {"${" + name + "}" for name in handler.outputs}
        required = {
            p["binding"]["name"]
            for p in template["properties"]
            if p.get("constraints", {}).get("notEmpty")
        }
        assert required == {n for n, p in handler.inputs.items() if p.required}


def test_download_over_the_api_and_the_command_line(client, auth, tmp_path) -> None:
    answer = client.get("/api/v1/element-templates", headers=auth)
    assert answer.status_code == 200
    assert "attachment" in answer.headers["Content-Disposition"]
    assert answer.get_json() == element_templates()
    target = tmp_path / "sjablonen.json"
    result = CliRunner().invoke(main, ["element-templates", "--output", str(target)])
    assert result.exit_code == 0, result.output
    assert json.loads(target.read_text("utf-8")) == element_templates()

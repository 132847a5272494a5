"""Camunda 7 element templates made from the service-task handlers: each handler's topic,
inputs and outputs (handlers/), so a process owner picks "brp.huishouden" from a list in the
Camunda Modeler and fills in the inputs instead of typing a topic and parameter names.

Validated against the official schema (@camunda/element-templates-json-schema) in the tests."""

from __future__ import annotations

from typing import Any

import handlers

SCHEMA = "https://unpkg.com/@camunda/element-templates-json-schema/resources/schema.json"


def _template(handler: handlers.Handler) -> dict[str, Any]:
    properties: list[dict[str, Any]] = [
        {
            "type": "Hidden",
            "value": "external",
            "binding": {"type": "property", "name": "camunda:type"},
        },
        {
            "type": "Hidden",
            "value": handler.topic,
            "binding": {"type": "property", "name": "camunda:topic"},
        },
    ]
    for name, param in handler.inputs.items():
        prop: dict[str, Any] = {
            "label": f"Invoer: {name}",
            "description": param.description,
            "type": "String",
            "value": "${" + name + "}",
            "binding": {"type": "camunda:inputParameter", "name": name},
        }
        if param.required:
            prop["constraints"] = {"notEmpty": True}
        properties.append(prop)
    for name, param in handler.outputs.items():
        # The value is the case variable that receives the handler's output of this name.
        properties.append(
            {
                "label": f"Uitvoer {name} naar variabele",
                "description": param.description,
                "type": "String",
                "value": name,
                "binding": {"type": "camunda:outputParameter", "source": "${" + name + "}"},
            }
        )
    return {
        "$schema": SCHEMA,
        "name": f"{handler.topic}: {handler.description}".strip().rstrip(":"),
        "id": f"stroom.{handler.topic}",
        "version": 1,
        "description": handler.description,
        "appliesTo": ["bpmn:ServiceTask"],
        "properties": properties,
    }


def element_templates() -> list[dict[str, Any]]:
    return [_template(h) for _topic, h in sorted(handlers.load_all().items())]

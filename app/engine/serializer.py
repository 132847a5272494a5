"""Serialising specs and instances.

The diagram is stored once per deployed version (`spec_to_json`); an instance stores only its
task tree and data (`workflow_to_json`), which more than halves its size (design.md). Specs are
restored once per version and cached: they are not mutated while instances run.
"""

from __future__ import annotations

import json
from copy import deepcopy
from typing import Any
from uuid import UUID

from SpiffWorkflow.bpmn import BpmnWorkflow
from SpiffWorkflow.bpmn.serializer import BpmnWorkflowSerializer
from SpiffWorkflow.bpmn.serializer.config import (
    MessageEventDefinition as BaseMessageEventDefinition,
)
from SpiffWorkflow.bpmn.serializer.default import MessageEventDefinitionConverter
from SpiffWorkflow.bpmn.serializer.default.task_spec import (
    BpmnTaskSpecConverter,
    MultiInstanceTaskConverter,
)
from SpiffWorkflow.bpmn.serializer.default.workflow import BpmnWorkflowConverter
from SpiffWorkflow.bpmn.serializer.workflow import VERSION
from SpiffWorkflow.bpmn.specs.defaults import ReceiveTask, ServiceTask
from SpiffWorkflow.camunda.serializer.config import CAMUNDA_CONFIG

from app.engine.multi_instance import CamundaMultiInstanceTask
from app.engine.parser import EventGatewayWait, PassThroughTask


class _StatelessSpecWorkflowConverter(BpmnWorkflowConverter):
    """A BpmnWorkflow without its spec; the spec is handed in on restore."""

    def to_dict(self, workflow: BpmnWorkflow) -> dict[str, Any]:
        dct = super(BpmnWorkflowConverter, self).to_dict(workflow)
        dct["subprocesses"] = self.mapping_to_dict(workflow.subprocesses)
        dct["bpmn_events"] = self.registry.convert(workflow.bpmn_events)
        return dct

    def from_dict(
        self, dct: dict[str, Any], spec: Any = None, subprocess_specs: Any = None
    ) -> BpmnWorkflow:
        workflow = self.target_class(spec, subprocess_specs, deserializing=True)
        workflow.tasks = self.mapping_from_dict(dct["tasks"], UUID, workflow=workflow)
        workflow.task_tree = workflow.tasks.get(UUID(dct["root"]))
        self.set_default_attributes(workflow, dct)
        self.subprocesses_from_dict(dct["subprocesses"], workflow)
        workflow.bpmn_events = self.registry.restore(dct.pop("bpmn_events", []))
        return workflow


_CONFIG = deepcopy(CAMUNDA_CONFIG)
_CONFIG[BaseMessageEventDefinition] = MessageEventDefinitionConverter
_CONFIG[ServiceTask] = BpmnTaskSpecConverter  # not in SpiffWorkflow's default config
_CONFIG[PassThroughTask] = BpmnTaskSpecConverter
_CONFIG[EventGatewayWait] = _CONFIG[ReceiveTask]
_CONFIG[CamundaMultiInstanceTask] = MultiInstanceTaskConverter
_SPEC_REGISTRY = BpmnWorkflowSerializer.configure(_CONFIG)
# For comparing specs of two versions (SpiffWorkflow.bpmn.util.diff, app/engine/migration.py).
SPEC_REGISTRY = _SPEC_REGISTRY
_SPEC_SERIALIZER = BpmnWorkflowSerializer(_SPEC_REGISTRY)

_STATE_CONFIG = deepcopy(_CONFIG)
_STATE_CONFIG[BpmnWorkflow] = _StatelessSpecWorkflowConverter
_STATE_REGISTRY = BpmnWorkflowSerializer.configure(_STATE_CONFIG)
_STATE_SERIALIZER = BpmnWorkflowSerializer(_STATE_REGISTRY)

STATE_FORMAT = f"spiff-{VERSION}-nospec"


def spec_to_json(spec: Any, subprocess_specs: dict[str, Any]) -> str:
    return json.dumps(
        {
            "spec": _SPEC_REGISTRY.convert(spec),
            "subprocess_specs": {k: _SPEC_REGISTRY.convert(v) for k, v in subprocess_specs.items()},
        }
    )


def spec_from_json(text: str) -> tuple[Any, dict[str, Any]]:
    dct = json.loads(text)
    spec = _SPEC_REGISTRY.restore(dct["spec"])
    subs = {k: _SPEC_REGISTRY.restore(v) for k, v in dct["subprocess_specs"].items()}
    return spec, subs


def workflow_to_json(workflow: BpmnWorkflow) -> str:
    registry = _STATE_REGISTRY
    registry._encoder_mode = True
    try:
        return json.dumps(registry.convert(workflow), cls=_STATE_SERIALIZER._encoder_cls)
    finally:
        registry._encoder_mode = False


def workflow_from_json(text: str, spec: Any, subprocess_specs: dict[str, Any]) -> BpmnWorkflow:
    dct = json.loads(text, cls=_STATE_SERIALIZER.json_decoder_cls)
    return _STATE_REGISTRY.restore(dct, spec=spec, subprocess_specs=subprocess_specs)

"""SpiffWorkflow's CamundaParser, extended with the Camunda 7 attributes we execute.

Everything we read from `camunda:*` attributes is stored in the task spec's `extensions` dict,
which SpiffWorkflow already serialises with the spec, so no custom spec classes or converters
are needed:

    extensions = {
        "properties": {...},                 # camunda:properties (Extension properties tab)
        "candidate_groups": "expr",          # user tasks; default: the lane as a group key
        "candidate_users": "expr", "assignee": "expr",
        "due_date": "expr", "follow_up_date": "expr", "priority": "expr",
        "form": "file or id",                # camunda:formRef or camunda:formKey
        "topic": "name",                     # camunda:type="external" service tasks
        "inputs": [[name, expr], ...], "outputs": [[name, expr], ...],
        "correlation_key": "expr",           # message catch events and receive tasks
        "error_code_variable": "name", "error_message_variable": "name",  # error catches
        "non_interrupting": True,            # start event of a non-interrupting event sub-process
        "error_messages": {code: message},   # with them: camunda:errorMessage per error code
        "multi_instance": {"collection": "expr", "element_variable": "name",
                           "sequential": bool},  # on the body and its inner task spec
    }
"""

from __future__ import annotations

import ast
import textwrap
from typing import Any

from SpiffWorkflow.bpmn.parser.event_parsers import (
    CANCEL_EVENT_XPATH,
    CONDITIONAL_EVENT_XPATH,
    ERROR_EVENT_XPATH,
    ESCALATION_EVENT_XPATH,
    MESSAGE_EVENT_XPATH,
    SIGNAL_EVENT_XPATH,
    TERMINATION_EVENT_XPATH,
    TIMER_EVENT_XPATH,
    ReceiveTaskParser,
)
from SpiffWorkflow.bpmn.parser.task_parsers import ConditionalGatewayParser, GatewayParser
from SpiffWorkflow.bpmn.parser.TaskParser import TaskParser
from SpiffWorkflow.bpmn.parser.util import first, full_tag
from SpiffWorkflow.bpmn.specs.defaults import (
    ExclusiveGateway,
    InclusiveGateway,
    NoneTask,
    ParallelGateway,
    ReceiveTask,
    ServiceTask,
)
from SpiffWorkflow.bpmn.specs.event_definitions.conditional import ConditionalEventDefinition
from SpiffWorkflow.bpmn.specs.event_definitions.message import MessageEventDefinition
from SpiffWorkflow.bpmn.specs.event_definitions.simple import NoneEventDefinition
from SpiffWorkflow.bpmn.specs.event_definitions.timer import (
    CycleTimerEventDefinition,
    DurationTimerEventDefinition,
    TimeDateEventDefinition,
)
from SpiffWorkflow.camunda.parser.CamundaParser import CamundaParser
from SpiffWorkflow.camunda.parser.event_parsers import (
    CamundaBoundaryEventParser,
    CamundaEndEventParser,
    CamundaIntermediateCatchEventParser,
    CamundaIntermediateThrowEventParser,
    CamundaStartEventParser,
)
from SpiffWorkflow.camunda.parser.task_spec import (
    CallActivityParser,
    CamundaTaskParser,
    ScriptTaskParser,
    SubWorkflowParser,
    UserTaskParser,
)
from SpiffWorkflow.util.task import TaskState

from app.catalogue.names import group_key
from app.engine import (  # noqa: F401 - Camunda 7 semantics where Spiff differs
    call_data,
    event_subprocess,
    spiff_fixes,
)
from app.engine.expressions import plain_expression, timer_expression, unwrap, value_expression
from app.engine.multi_instance import EXTENSION, CamundaMultiInstanceTask
from app.engine.vocabulary import GATEWAY_WAIT

CAMUNDA_NS = "http://camunda.org/schema/1.0/bpmn"
BPMN_MODEL_NS = "http://www.omg.org/spec/BPMN/20100524/MODEL"
FORM_KEY_PREFIXES = ("camunda-forms:deployment:", "camunda-forms:app:", "embedded:app:forms/")


class PassThroughTask(NoneTask):
    """`bpmn:task` and `bpmn:manualTask` as Camunda 7 runs them: the token passes straight
    through; nobody is asked to do anything (SpiffWorkflow would make it a human task)."""

    def __init__(self, wf_spec: Any, bpmn_id: str, **kwargs: Any) -> None:
        super().__init__(wf_spec, bpmn_id, **kwargs)
        self.manual = False


class EventGatewayWait(ReceiveTask):
    """Where the token of an event-based gateway without a message branch waits: for nothing
    itself; each branch is an interrupting boundary event on it, and the first to fire
    withdraws it and the others, as in Camunda 7. Not an event the event manager holds, so
    it is no subscription of its own."""

    def _update_hook(self, my_task: Any) -> bool:
        if my_task.state != TaskState.WAITING:
            my_task._set_state(TaskState.WAITING)
        return False


class _ExtensionsMixin:
    """Collects camunda:* attributes of any flow node into `extensions`, and gives a flow
    node without outgoing sequence flow the implicit end BPMN (and Camunda 7) give it: its
    path ends there, and the (sub)process ends when no path is left."""

    node: Any
    lane: str | None
    process_parser: Any
    spec: Any
    task: Any
    bpmn_id: str

    def parse_node(self) -> Any:
        result = super().parse_node()  # type: ignore[misc]
        tag = self.node.tag.rsplit("}", 1)[-1]
        if (
            tag != "endEvent"
            and not (tag == "subProcess" and self.node.get("triggeredByEvent") in ("true", "1"))
            and not self.process_parser.get_outgoing_sequence_flows(self.bpmn_id)
            and not self.task.outputs
        ):
            self.task.connect(self.spec.end)
        return result

    def _add_multiinstance_task(self, loop_characteristics: Any) -> None:
        """Camunda 7's multi-instance (app/engine/multi_instance.py), not SpiffWorkflow's
        Camunda variant; the vocabulary check has refused what this does not read."""
        collection = self._camunda("collection", loop_characteristics)
        if collection is not None:
            collection = unwrap(collection) if "${" in collection else collection.strip()
        cardinality = first(
            self._cxpath("./bpmn:multiInstanceLoopCharacteristics/bpmn:loopCardinality")
        )
        condition = first(
            self._cxpath("./bpmn:multiInstanceLoopCharacteristics/bpmn:completionCondition")
        )
        settings = {
            "collection": collection,
            "element_variable": self._camunda("elementVariable", loop_characteristics),
            "sequential": loop_characteristics.get("isSequential") in ("true", "1"),
        }
        original = self.spec.task_specs.pop(self.task.name)
        original.extensions[EXTENSION] = settings
        body = CamundaMultiInstanceTask(
            self.spec,
            original.name,
            task_spec="",
            cardinality=plain_expression(cardinality.text) if cardinality is not None else None,
            condition=plain_expression(condition.text) if condition is not None else None,
            bpmn_name=original.bpmn_name,
            lane=original.lane,
            description="Multi-instance",
        )
        body.extensions = {"line": self.node.sourceline, EXTENSION: settings}
        self.task = body
        self._copy_task_attrs(original, loop_characteristics)  # type: ignore[attr-defined]

    def _camunda(self, name: str, node: Any = None) -> str | None:
        return (self.node if node is None else node).get(f"{{{CAMUNDA_NS}}}{name}")

    def _cxpath(self, path: str) -> list[Any]:
        return self.node.xpath(
            path,
            namespaces={
                "bpmn": self.node.nsmap.get(None) or "http://www.omg.org/spec/BPMN/20100524/MODEL",
                "camunda": CAMUNDA_NS,
            },
        )

    def parse_extensions(self, node: Any = None) -> dict[str, Any]:
        ext: dict[str, Any] = {"line": self.node.sourceline}
        props = {
            p.get("name"): p.get("value")
            for p in self._cxpath("./bpmn:extensionElements/camunda:properties/camunda:property")
        }
        ext["properties"] = props
        inputs, outputs = self._io_mapping()
        if inputs:
            ext["inputs"] = inputs
        if outputs:
            ext["outputs"] = outputs
        tag = self.node.tag.rsplit("}", 1)[-1]
        if tag == "userTask":
            self._user_task_extensions(ext)
        if self._camunda("type") == "external":
            ext["topic"] = self._camunda("topic")
        if "correlationKey" in props:
            ext["correlation_key"] = plain_expression(props["correlationKey"])
        if tag == "callActivity":
            for kind in ("in", "out"):
                ext[f"call_{kind}"] = self._call_mapping(kind)
        if tag == "startEvent" and self.node.get("isInterrupting") in ("false", "0"):
            ext["non_interrupting"] = True  # an event sub-process's start (event_subprocess.py)
        self._error_variables(ext)
        return ext

    def _call_mapping(self, kind: str) -> dict[str, Any]:
        """camunda:in / camunda:out of a call activity: `all` (variables="all") and the
        mappings, each a target with a source variable or a source expression (translated to
        Python). The vocabulary refuses every other form (app/engine/vocabulary.py)."""
        mapping: dict[str, Any] = {"all": False, "map": []}
        for element in self._cxpath(f"./bpmn:extensionElements/camunda:{kind}"):
            if element.get("variables") == "all":
                mapping["all"] = True
            elif element.get("target"):
                if element.get("sourceExpression") is not None:
                    source = {"expression": plain_expression(element.get("sourceExpression"))}
                else:
                    source = {"source": element.get("source")}
                mapping["map"].append({"target": element.get("target"), **source})
        return mapping

    def _error_variables(self, ext: dict[str, Any]) -> None:
        """camunda:errorCodeVariable / errorMessageVariable of an error boundary event, and
        the message (camunda:errorMessage) of every bpmn:error, for the caught code."""
        for definition in self._cxpath("./bpmn:errorEventDefinition"):
            for attr, key in (
                ("errorCodeVariable", "error_code_variable"),
                ("errorMessageVariable", "error_message_variable"),
            ):
                value = self._camunda(attr, definition)
                if value:
                    ext[key] = value
            if "error_code_variable" in ext or "error_message_variable" in ext:
                root = self.node.getroottree().getroot()
                ext["error_messages"] = {
                    error.get("errorCode"): error.get(f"{{{CAMUNDA_NS}}}errorMessage")
                    for error in root.iter(f"{{{BPMN_MODEL_NS}}}error")
                    if error.get("errorCode") is not None
                }

    def _user_task_extensions(self, ext: dict[str, Any]) -> None:
        groups = self._camunda("candidateGroups")
        if groups:
            ext["candidate_groups"] = value_expression(groups)
        elif self.lane:
            ext["candidate_groups"] = repr(group_key(self.lane))
        for attr, key in (("candidateUsers", "candidate_users"), ("assignee", "assignee")):
            value = self._camunda(attr)
            if value:
                ext[key] = value_expression(value)
        for attr, key in (("dueDate", "due_date"), ("followUpDate", "follow_up_date")):
            value = self._camunda(attr)
            if value:
                ext[key] = plain_expression(value)
        priority = self._camunda("priority")
        if priority:
            ext["priority"] = plain_expression(priority)
        form = self._camunda("formRef") or self._camunda("formKey")
        if form:
            for prefix in FORM_KEY_PREFIXES:
                if form.startswith(prefix):
                    form = form[len(prefix) :]
            ext["form"] = form

    def _io_mapping(self) -> tuple[list[list[str]], list[list[str]]]:
        inputs: list[list[str]] = []
        outputs: list[list[str]] = []
        base = "./bpmn:extensionElements/camunda:inputOutput/"
        for kind, target in (("inputParameter", inputs), ("outputParameter", outputs)):
            for param in self._cxpath(base + f"camunda:{kind}"):
                target.append([param.get("name"), _parameter_expression(param)])
        return inputs, outputs


def _parameter_expression(param: Any) -> str:
    """A camunda:inputParameter/outputParameter as a Python expression."""
    script = first(param.xpath("./camunda:script", namespaces={"camunda": CAMUNDA_NS}))
    if script is not None:
        return (script.text or "").strip()
    lst = first(param.xpath("./camunda:list", namespaces={"camunda": CAMUNDA_NS}))
    if lst is not None:
        items = [value_expression(v.text or "") for v in lst]
        return "[" + ", ".join(i for i in items if i) + "]"
    mapping = first(param.xpath("./camunda:map", namespaces={"camunda": CAMUNDA_NS}))
    if mapping is not None:
        pairs = [f"{e.get('key')!r}: {value_expression(e.text or '')}" for e in mapping]
        return "{" + ", ".join(pairs) + "}"
    text = param.text or ""
    return value_expression(text) if text.strip() else "None"


class _EventMixin(_ExtensionsMixin):
    """Plain BPMN messages (payload merged into task data; correlation done by the host) and
    timer definitions normalised to Python expressions."""

    def parse_message_event(self, message_event: Any) -> MessageEventDefinition:
        message_ref = message_event.get("messageRef")
        if message_ref:
            name = self.process_parser.parser.messages.get(message_ref)  # type: ignore[attr-defined]
            if name is None:
                self.raise_validation_exception(  # type: ignore[attr-defined]
                    f"message {message_ref!r} is not defined"
                )
        else:
            name = message_event.getparent().get("name")
        if not name:
            self.raise_validation_exception(  # type: ignore[attr-defined]
                "a message event needs a messageRef to a named bpmn:message"
            )
        return MessageEventDefinition(name, [], description="Message")

    def parse_conditional_event(self, event: Any) -> ConditionalEventDefinition:
        """The condition as every other condition: `${…}` (JUEL) translated to Python."""
        found = first(self.xpath(".//bpmn:condition"))  # type: ignore[attr-defined]
        expression = plain_expression(found.text if found is not None else None)
        if expression is None:
            self.raise_validation_exception(  # type: ignore[attr-defined]
                "een voorwaardelijke gebeurtenis zonder voorwaarde (bpmn:condition)"
            )
        return ConditionalEventDefinition(
            expression,
            description=self.get_event_description(event),  # type: ignore[attr-defined]
        )

    def parse_timer_event(self, event: Any) -> Any:
        name = self.node.get("name", self.node.get("id"))
        description = self.get_event_description(event)  # type: ignore[attr-defined]
        for tag, cls in (
            ("timeDate", TimeDateEventDefinition),
            ("timeDuration", DurationTimerEventDefinition),
            ("timeCycle", CycleTimerEventDefinition),
        ):
            found = first(self.xpath(f".//bpmn:{tag}"))  # type: ignore[attr-defined]
            if found is not None:
                if not (found.text or "").strip():
                    self.raise_validation_exception(  # type: ignore[attr-defined]
                        f"timer {tag} is empty"
                    )
                definition = cls(name, timer_expression(found.text), description=description)
                return definition
        self.raise_validation_exception("timer without timeDate, timeDuration or timeCycle")  # type: ignore[attr-defined]


class StroomTaskParser(_ExtensionsMixin, CamundaTaskParser):
    pass


class StroomUserTaskParser(_ExtensionsMixin, UserTaskParser):
    pass


class StroomScriptTaskParser(_ExtensionsMixin, ScriptTaskParser):
    def get_script(self) -> str:
        """The script as deploy checks it and as it runs: dedented (the Modeler indents it
        with the XML), and with `camunda:resultVariable` the value of its last expression
        assigned to that variable, as Camunda 7 does."""
        script = textwrap.dedent(super().get_script() or "").strip()
        result = self._camunda("resultVariable")
        if not result:
            return script
        if not result.isidentifier():
            self.raise_validation_exception(  # type: ignore[attr-defined]
                f"camunda:resultVariable {result!r} is geen geldige variabelenaam"
            )
        try:
            tree = ast.parse(script)
        except SyntaxError:
            return script  # deploy reports the syntax error with its line
        last = tree.body[-1] if tree.body else None
        if not isinstance(last, ast.Expr):
            self.raise_validation_exception(  # type: ignore[attr-defined]
                "camunda:resultVariable neemt de waarde van de laatste regel van het script; "
                f"die is hier geen expressie: eindig met de waarde, of schrijf {result} = ..."
            )
        assert last is not None
        lines = script.splitlines()
        before = lines[: last.lineno - 1]
        segment = ast.get_source_segment(script, last.value) or ""
        indent = " " * last.col_offset
        return "\n".join([*before, f"{indent}{result} = ({segment})"])


class StroomSubWorkflowParser(_ExtensionsMixin, SubWorkflowParser):
    def create_task(self) -> Any:
        """As SpiffWorkflow's, without its demand for an end event: Camunda 7 ends a
        sub-process implicitly when its last path ends (see `_ExtensionsMixin`)."""
        starts = self.xpath("./bpmn:startEvent")  # type: ignore[attr-defined]
        if len(starts) != 1:
            self.raise_validation_exception(  # type: ignore[attr-defined]
                f"een subproces heeft precies één startgebeurtenis nodig (gevonden: {len(starts)})"
            )
        parser = self.process_parser.parser
        parser.create_parser(self.node, filename=self.filename, lane=self.lane)  # type: ignore[attr-defined]
        parser.process_parsers[self.bpmn_id].parent = self.process_parser
        spec_class = (
            self.EVENT_SUBPROCESS_CLASS  # type: ignore[attr-defined]
            if self.node.get("triggeredByEvent") in ("true", "1")
            else self.spec_class  # type: ignore[attr-defined]
        )
        return spec_class(
            self.spec,
            self.bpmn_id,
            subworkflow_spec=self.bpmn_id,
            **self.bpmn_attributes,  # type: ignore[attr-defined]
        )


class StroomCallActivityParser(_ExtensionsMixin, CallActivityParser):
    pass


class StroomServiceTaskParser(_ExtensionsMixin, TaskParser):
    pass


class StroomParallelGatewayParser(_ExtensionsMixin, GatewayParser):
    pass


class StroomGatewayParser(_ExtensionsMixin, ConditionalGatewayParser):
    def parse_condition(self, sequence_flow: Any) -> str | None:
        return plain_expression(super().parse_condition(sequence_flow))


class StroomStartEventParser(_EventMixin, CamundaStartEventParser):
    def create_task(self) -> Any:
        """As SpiffWorkflow's, with error starts (of an event sub-process): it reads them
        as plain starts, which would run at once."""
        event_definition = self.get_event_definition(  # type: ignore[attr-defined]
            [
                MESSAGE_EVENT_XPATH,
                SIGNAL_EVENT_XPATH,
                TIMER_EVENT_XPATH,
                CONDITIONAL_EVENT_XPATH,
                ERROR_EVENT_XPATH,
            ]
        )
        task = self._create_task(event_definition)  # type: ignore[attr-defined]
        self.spec.start.connect(task)
        return task


class StroomEndEventParser(_EventMixin, CamundaEndEventParser):
    def create_task(self) -> Any:
        """As SpiffWorkflow's, with signal end events: it drops their definition and the
        end would throw nothing."""
        event_definition = self.get_event_definition(  # type: ignore[attr-defined]
            [
                MESSAGE_EVENT_XPATH,
                CANCEL_EVENT_XPATH,
                ERROR_EVENT_XPATH,
                ESCALATION_EVENT_XPATH,
                TERMINATION_EVENT_XPATH,
                SIGNAL_EVENT_XPATH,
            ]
        )
        task = self._create_task(event_definition)  # type: ignore[attr-defined]
        task.connect(self.spec.end)
        return task


class StroomCatchEventParser(_EventMixin, CamundaIntermediateCatchEventParser):
    pass


class StroomThrowEventParser(_EventMixin, CamundaIntermediateThrowEventParser):
    pass


class StroomBoundaryEventParser(_EventMixin, CamundaBoundaryEventParser):
    pass


class StroomReceiveTaskParser(_EventMixin, ReceiveTaskParser):
    def create_task(self) -> Any:
        if self.node.get(GATEWAY_WAIT) is not None:
            return EventGatewayWait(
                self.spec,
                self.bpmn_id,
                event_definition=NoneEventDefinition(),
                **self.bpmn_attributes,  # type: ignore[attr-defined]
            )
        return super().create_task()


class StroomParser(CamundaParser):
    OVERRIDE_PARSER_CLASSES = {
        **CamundaParser.OVERRIDE_PARSER_CLASSES,
        full_tag("userTask"): (
            StroomUserTaskParser,
            CamundaParser.OVERRIDE_PARSER_CLASSES[full_tag("userTask")][1],
        ),
        full_tag("task"): (StroomTaskParser, PassThroughTask),
        full_tag("manualTask"): (StroomTaskParser, PassThroughTask),
        full_tag("parallelGateway"): (StroomParallelGatewayParser, ParallelGateway),
        full_tag("scriptTask"): (
            StroomScriptTaskParser,
            CamundaParser.OVERRIDE_PARSER_CLASSES[full_tag("scriptTask")][1],
        ),
        full_tag("subProcess"): (
            StroomSubWorkflowParser,
            CamundaParser.OVERRIDE_PARSER_CLASSES[full_tag("subProcess")][1],
        ),
        full_tag("callActivity"): (
            StroomCallActivityParser,
            CamundaParser.OVERRIDE_PARSER_CLASSES[full_tag("callActivity")][1],
        ),
        full_tag("exclusiveGateway"): (StroomGatewayParser, ExclusiveGateway),
        full_tag("inclusiveGateway"): (StroomGatewayParser, InclusiveGateway),
        full_tag("serviceTask"): (StroomServiceTaskParser, ServiceTask),
        full_tag("sendTask"): (StroomServiceTaskParser, ServiceTask),
        full_tag("receiveTask"): (StroomReceiveTaskParser, ReceiveTask),
        full_tag("startEvent"): (
            StroomStartEventParser,
            CamundaParser.OVERRIDE_PARSER_CLASSES[full_tag("startEvent")][1],
        ),
        full_tag("endEvent"): (
            StroomEndEventParser,
            CamundaParser.OVERRIDE_PARSER_CLASSES[full_tag("endEvent")][1],
        ),
        full_tag("intermediateCatchEvent"): (
            StroomCatchEventParser,
            CamundaParser.OVERRIDE_PARSER_CLASSES[full_tag("intermediateCatchEvent")][1],
        ),
        full_tag("intermediateThrowEvent"): (
            StroomThrowEventParser,
            CamundaParser.OVERRIDE_PARSER_CLASSES[full_tag("intermediateThrowEvent")][1],
        ),
        full_tag("boundaryEvent"): (
            StroomBoundaryEventParser,
            CamundaParser.OVERRIDE_PARSER_CLASSES[full_tag("boundaryEvent")][1],
        ),
    }

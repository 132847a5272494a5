"""The script engine every workflow runs with: sandboxed, with our functions."""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from SpiffWorkflow.bpmn.exceptions import WorkflowTaskException
from SpiffWorkflow.bpmn.script_engine import PythonScriptEngine

from app.engine.errors import SandboxError
from app.engine.functions import all_functions
from app.engine.sandbox import SandboxEnvironment, check_source


class StroomScriptEngine(PythonScriptEngine):
    def __init__(self) -> None:
        super().__init__(environment=SandboxEnvironment(all_functions()))

    def validate(self, expression: str) -> None:
        problems = check_source(expression, "eval")
        if problems:
            raise SyntaxError("; ".join(problems))

    def evaluate(self, task: Any, expression: str, external_context: Any = None) -> Any:
        try:
            return super().evaluate(task, expression, external_context)
        except WorkflowTaskException as exc:
            if isinstance(exc.__context__, SandboxError):
                raise _refused(task, "expressie", expression, exc.__context__) from exc.__context__
            raise

    def execute(self, task: Any, script: str, external_context: Any = None) -> Any:
        try:
            return super().execute(task, script, external_context)
        except WorkflowTaskException as exc:
            if isinstance(exc.__context__, SandboxError):
                raise _refused(task, "script", script, exc.__context__) from exc.__context__
            raise

    def create_task_exec_exception(self, task: Any, script: str, err: Exception) -> Any:
        # SpiffWorkflow adds err.args[0] to a str: `raise ValueError(5)` would become a
        # TypeError about concatenation instead of the script's own error.
        if err.args and not isinstance(err.args[0], str):
            err.args = (str(err.args[0]), *err.args[1:])
        return super().create_task_exec_exception(task, script, err)

    def call_service(self, task: Any, **kwargs: Any) -> Any:
        # SpiffWorkflow's own call_service masks errors as NameError('script'); ours never runs
        # services in-process, so say plainly what happened.
        raise WorkflowTaskException(
            "service tasks are executed as jobs by `stroom worker`", task=task
        )


def _refused(task: Any, what: str, source: str, error: SandboxError) -> WorkflowTaskException:
    """The sandbox's refusal in Dutch, naming the element and the line (for the incident)."""
    spec = task.task_spec
    where = f"{what} van {spec.bpmn_id or spec.name!r}"
    if spec.bpmn_name:
        where += f" ({spec.bpmn_name})"
    lines = source.splitlines()
    error_line = lines[error.line - 1].strip() if error.line and error.line <= len(lines) else ""
    if error.line:
        where += f", regel {error.line}"
    refused = WorkflowTaskException(
        f"{where}: {error}", task=task, exception=error, line_number=error.line
    )
    refused.error_line = error_line
    return refused


@lru_cache(maxsize=1)
def script_engine() -> StroomScriptEngine:
    return StroomScriptEngine()

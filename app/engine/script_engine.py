"""The script engine every workflow runs with: sandboxed, with our functions."""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from SpiffWorkflow.bpmn.exceptions import WorkflowTaskException
from SpiffWorkflow.bpmn.script_engine import PythonScriptEngine

from app.engine.functions import all_functions
from app.engine.sandbox import SandboxEnvironment, check_source


class StroomScriptEngine(PythonScriptEngine):
    def __init__(self) -> None:
        super().__init__(environment=SandboxEnvironment(all_functions()))

    def validate(self, expression: str) -> None:
        problems = check_source(expression, "eval")
        if problems:
            raise SyntaxError("; ".join(problems))

    def call_service(self, task: Any, **kwargs: Any) -> Any:
        # SpiffWorkflow's own call_service masks errors as NameError('script'); ours never runs
        # services in-process, so say plainly what happened.
        raise WorkflowTaskException(
            "service tasks are executed as jobs by `stroom worker`", task=task
        )


@lru_cache(maxsize=1)
def script_engine() -> StroomScriptEngine:
    return StroomScriptEngine()

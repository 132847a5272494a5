"""Where the domains plug into the engine. The engine calls what is registered here and imports
no domain; the app registers the domains' parts once, where it is assembled
(app/assembly.py `install()`, called by the web app, the command line and the tests).

| hook | the engine calls it |
|---|---|
| `functions.register` (app/engine/functions.py) | functions diagrams may call in expressions |
| `deploy_checks` | at deploy, after parsing: each returns the problems it finds |
| `incoming_data` | before data from outside enters an instance (a task's form, a message) |
| `task_data` | before a completed task's data is set: may take fields out (e.g. to a registry) |
| `expiry` | when an instance ends: the first moment a field of it expires (retention) |
| `at_erasure` | when an end event asks to erase the case: records outside the workflow |
| `at_field_erasure` | when an end event erases some fields (`categorieen`): their other copies |
| `worker_ticks` | the worker's scheduler: recurring work besides timers and jobs |
| `start_fields` | at deploy (data-flow analysis): fields a domain gives every instance it starts |
| `set_teams` | at deploy and when a task opens: which candidate groups are teams (and whose) |
| `before_batch` | before a batch of instances' writes goes out (timers, intake): their ids |

Using the engine before anything was installed is an error, not a quietly smaller engine:
`require()` says so.
"""

from __future__ import annotations

from collections.abc import Callable
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from sqlalchemy import Connection
    from sqlalchemy.orm import Session

    from app.db import Database
    from app.engine.errors import Problem

# The engine's Execution (app/engine/runtime.py) is passed as Any: this module stays the
# bottom of the engine, which everything else in it may import.
DeployCheck = Callable[[Any], "list[Problem]"]
IncomingData = Callable[["Session", Any, dict[str, Any]], None]
TaskData = Callable[["Session", Any, dict[str, Any], str | None], dict[str, Any]]
Expiry = Callable[[Any, datetime], datetime | None]
# (session, instance id, fields to keep) -> what was erased: `.fields` (names) and `.counts`
Erasure = Callable[["Session", str, set[str]], Any]
# (session, instance id, fields to erase) -> the names erased outside the workflow
FieldErasure = Callable[["Session", str, set[str]], set[str]]


@dataclass(frozen=True)
class Tick:
    name: str
    seconds: float
    run: Callable[[Database], int]


deploy_checks: list[DeployCheck] = []
incoming_data: list[IncomingData] = []
task_data: list[TaskData] = []
at_erasure: list[Erasure] = []
at_field_erasure: list[FieldErasure] = []
worker_ticks: list[Tick] = []
# (catalogue) -> names: what a domain writes into every instance it starts (the intake's
# date of the report), which the data-flow analysis counts as written at the start.
start_fields: list[Callable[[Any], set[str]]] = []
# (connection, instance ids): a domain that works per written row (a trigger) can do the
# batch's instances at once instead.
before_batch: list[Callable[[Connection, list[str]], None]] = []
_expiry: list[Expiry] = []
# (session, group keys) -> {key: (organisation id, key)} for the keys that are teams.
Teams = Callable[["Session", "list[str]"], "dict[str, tuple[int, str]]"]
_teams: list[Teams] = []
_installed: list[str] = []

# The catalogue of the diagram being deployed, while deploy evaluates its examples (functions
# such as settings read it instead of a deployed version).
deploying: ContextVar[Any] = ContextVar("stroom_deploying_catalogue", default=None)


def add(hooks: list[Any], item: Any) -> None:
    """Register once, however often the app is assembled."""
    if item not in hooks:
        hooks.append(item)


def set_expiry(func: Expiry) -> None:
    _expiry[:] = [func]


def expiry(catalogue: Any, ended_at: datetime) -> datetime | None:
    return _expiry[0](catalogue, ended_at) if _expiry else None


def set_teams(func: Teams) -> None:
    _teams[:] = [func]


def teams(session: Session, keys: list[str]) -> dict[str, tuple[int, str]]:
    """The keys among `keys` that name a team: {key: (organisation id, key)}."""
    return _teams[0](session, keys) if _teams and keys else {}


def installed(by: str) -> bool:
    return by in _installed


def mark_installed(by: str) -> None:
    if by not in _installed:
        _installed.append(by)


def require() -> None:
    if not _installed:
        raise RuntimeError(
            "de domeinen zijn niet bij de engine aangemeld: roep app.assembly.install() aan "
            "(de webapp, de opdrachtregel en de tests doen dat zelf)"
        )

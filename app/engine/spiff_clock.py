"""Point SpiffWorkflow's notion of 'now' at our clock.

Its timer module calls `datetime.now(timezone.utc)` and tasks stamp `time.time()`; both are
replaced by views of `app.clock`, so a virtual clock drives timers in tests and simulation.
Spiff compares `due < now` strictly, so it sees now + 1 µs: a timer due at exactly the current
moment fires, matching the scheduler's `due_at <= now`.
"""

from __future__ import annotations

import types
from datetime import datetime, timedelta

from SpiffWorkflow import task as spiff_task
from SpiffWorkflow.bpmn.specs.event_definitions import timer as spiff_timer

from app import clock

_EPSILON = timedelta(microseconds=1)


class _ClockDatetime(datetime):
    @classmethod
    def now(cls, tz=None):  # type: ignore[override]
        moment = clock.now() + _EPSILON
        return moment.astimezone(tz) if tz is not None else moment


def _get_datetime(expression: str) -> datetime:
    value = datetime.fromisoformat(expression)
    if value.tzinfo is None:
        raise ValueError(f"tijdstip zonder tijdzone in timer: {expression!r}")
    return value.astimezone(spiff_timer.timezone.utc)


_installed = False


def install() -> None:
    global _installed
    if _installed:
        return
    spiff_timer.datetime = _ClockDatetime  # type: ignore[misc]
    spiff_timer.TimerEventDefinition.get_datetime = staticmethod(_get_datetime)  # type: ignore[method-assign]
    spiff_task.time = types.SimpleNamespace(time=lambda: clock.now().timestamp())  # type: ignore[attr-defined]
    _installed = True

"""Process settings: a covenant's terms, with each municipality's own values.

Diagrams read them with `instelling("terugkoppeling_werkdagen")`: the municipality's value
for the case, else the default the catalogue gives (the covenant's own number).
"""

from __future__ import annotations

import re
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from app import clock
from app.cases.models import ProcessSetting
from app.engine import hooks
from app.engine.errors import InvalidInput
from app.engine.functions import register
from app.privacy.logs import audit_row
from app.privacy.models import AuditLog


def value(
    session: Session | None, catalogue: Any, process_key: str, municipality: str | None, name: str
) -> Any:
    if catalogue is None or name not in catalogue.settings:
        known = ", ".join(catalogue.settings) if catalogue else "geen"
        raise KeyError(f"onbekende instelling {name!r} (het proces kent: {known})")
    if session is not None and municipality:
        own = session.scalar(
            select(ProcessSetting.value).where(
                ProcessSetting.process_key == process_key,
                ProcessSetting.municipality == municipality,
                ProcessSetting.name == name,
            )
        )
        if own is not None:
            return own
    return catalogue.settings[name]["waarde"]


def set_value(
    session: Session,
    catalogue: Any,
    process_key: str,
    municipality: str,
    name: str,
    new: Any,
    actor: str,
) -> None:
    if catalogue is None or name not in catalogue.settings:
        raise InvalidInput("onbekende instelling", {"naam": [f"{name!r} bestaat niet"]})
    problem = check_value(catalogue.settings[name], new)
    if problem:
        raise InvalidInput(f"ongeldige waarde voor {name}", {"waarde": [problem]})
    row = session.scalar(
        select(ProcessSetting).where(
            ProcessSetting.process_key == process_key,
            ProcessSetting.municipality == municipality,
            ProcessSetting.name == name,
        )
    )
    if row is None:
        session.add(
            ProcessSetting(
                process_key=process_key,
                municipality=municipality,
                name=name,
                value=new,
                changed_at=clock.now(),
                changed_by=actor,
            )
        )
    else:
        previous = row.value
        row.value, row.changed_at, row.changed_by = new, clock.now(), actor
    # The change and its trace commit together: a term moves deadlines of real cases.
    entry = audit_row(
        None,
        "instelling_gewijzigd",
        "procesinstelling",
        f"{process_key}/{municipality}/{name}",
        details={"oud": None if row is None else previous, "nieuw": new},
    )
    session.execute(insert(AuditLog), {**entry, "actor": actor, "organisation": municipality})


def check_value(spec: dict[str, Any], new: Any) -> str | None:
    """What is wrong with `new` as a value of the setting `spec`, or None.

    The value must be of the default's kind; numbers stay within `min`/`max` (default: not
    below zero, as every term and priority is), whole numbers stay whole, and an ISO 8601
    duration or repetition must parse as one.
    """
    default = spec["waarde"]
    kind = type(default)
    expected = f"verwacht {_KINDS.get(kind, kind.__name__)}, zoals de standaardwaarde {default!r}"
    if isinstance(default, bool) or isinstance(new, bool):
        if type(new) is not type(default):
            return expected
        return None
    if isinstance(default, (int, float)):
        if not isinstance(new, (int, float)):
            return f"verwacht een getal, zoals de standaardwaarde {default!r}"
        if isinstance(default, int) and not float(new).is_integer():
            return f"verwacht een heel getal, zoals de standaardwaarde {default!r}"
        low, high = spec.get("min", 0), spec.get("max")
        if low is not None and new < low:
            return f"mag niet kleiner zijn dan {low}"
        if high is not None and new > high:
            return f"mag niet groter zijn dan {high}"
        return None
    if type(new) is not kind:
        return expected
    if isinstance(default, list):
        kinds = {type(item) for item in default}
        wrong = [item for item in new if kinds and type(item) not in kinds]
        if wrong:
            return f"onverwachte elementen {wrong!r}, verwacht zoals in {default!r}"
        return None
    if isinstance(default, str) and default[:1] in ("P", "R") and _ISO.match(default):
        return _check_iso(default, new)
    return None


_KINDS = {bool: "ja/nee", str: "tekst", list: "een lijst", dict: "een object"}
_ISO = re.compile(r"^(R\d*/)?P[0-9YMWDTHS.,]+$")


def _check_iso(default: str, new: str) -> str | None:
    from SpiffWorkflow.bpmn.specs.event_definitions.timer import TimerEventDefinition

    repeating = default.startswith("R")
    shape = "herhaling zoals R/P3M of R4/P1M" if repeating else "duur zoals P14D"
    if not _ISO.match(new) or new.startswith("R") != repeating:
        return f"verwacht een ISO 8601-{shape}"
    duration = new.split("/", 1)[1] if repeating else new
    try:
        TimerEventDefinition.parse_iso_duration(duration)
    except Exception:  # noqa: BLE001 - SpiffWorkflow raises plain exceptions here
        return f"verwacht een ISO 8601-{shape}"
    if not re.search(r"[1-9]", duration):
        return "een duur van nul is geen termijn"
    return None


@register("instelling")
def instelling(naam: str) -> Any:
    """A term of this process for this case's municipality."""
    from app.engine.runtime import current_execution

    execution = current_execution()
    if execution is not None:
        return value(
            execution.session,
            execution.catalogue,
            execution.row.definition_key,
            execution.row.municipality,
            naam,
        )
    # During deployment checks there is no case: the catalogue being checked answers.
    catalogue = hooks.deploying.get()
    return value(None, catalogue, catalogue.process if catalogue else "", None, naam)

"""Process settings: a covenant's terms, with each municipality's own values.

Diagrams read them with `instelling("terugkoppeling_werkdagen")`: the municipality's value
for the case, else the default the catalogue gives (the covenant's own number).
"""

from __future__ import annotations

from contextvars import ContextVar
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from app import clock
from app.cases.models import ProcessSetting
from app.engine.errors import InvalidInput
from app.engine.functions import register

# During deployment checks there is no case: the catalogue being checked answers.
DEPLOYING: ContextVar[Any] = ContextVar("stroom_deploying_catalogue", default=None)


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
    default = catalogue.settings[name]["waarde"]
    if type(default) is not type(new) and not (
        isinstance(default, (int, float)) and isinstance(new, (int, float))
    ):
        raise InvalidInput(
            "verkeerd soort waarde",
            {
                "waarde": [
                    f"verwacht {type(default).__name__}, zoals de standaardwaarde {default!r}"
                ]
            },
        )
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
        row.value, row.changed_at, row.changed_by = new, clock.now(), actor


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
    catalogue = DEPLOYING.get()
    return value(None, catalogue, catalogue.process if catalogue else "", None, naam)

"""Organisations' closure days, from the database, for the working-day calendar.

The calendar asks by organisation key; the answer is read in the transition or request under
way (so a closure day added a minute ago counts) and cached for that unit of work only.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.auth.models import ClosureDay, Organisation
from app.calendar.atw import set_closure_provider


def closure_days(session: Session, organisation: str) -> dict[date, str]:
    return dict(
        session.execute(
            select(ClosureDay.day, ClosureDay.reason)
            .join(Organisation)
            .where(Organisation.key == organisation)
        ).all()
    )


def _current_session() -> Session | None:
    from app.engine.runtime import current_execution

    execution = current_execution()
    if execution is not None:
        return execution.session
    try:
        from flask import has_app_context

        if has_app_context():
            from app.services import db_session

            return db_session()
    except ImportError:  # pragma: no cover - flask is always installed
        return None
    return None


def _provider(organisation: str) -> Mapping[date, str]:
    session = _current_session()
    return closure_days(session, organisation) if session is not None else {}


def install() -> None:
    set_closure_provider(_provider)

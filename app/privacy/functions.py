"""Functions diagrams use to ask about consent: `heeft_toestemming("gesprek")`."""

from __future__ import annotations

from app.engine.functions import register
from app.engine.runtime import current_execution
from app.privacy.access import given_consents


@register("heeft_toestemming")
def heeft_toestemming(scope: str) -> bool:
    """True when the resident's consent for `scope` is recorded and not withdrawn."""
    execution = current_execution()
    if execution is None:
        return False  # evaluated outside a case (deployment checks with sample data)
    return scope in given_consents(execution.session, execution.row.id)

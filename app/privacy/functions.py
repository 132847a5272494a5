"""Functions diagrams use to ask about consent: `heeft_toestemming("gesprek")`, or
`heeft_toestemming("gesprek", schriftelijk=True)` where the covenant wants it in writing."""

from __future__ import annotations

from app.engine.functions import register
from app.engine.runtime import current_execution


@register("heeft_toestemming")
def heeft_toestemming(scope: str, schriftelijk: bool = False) -> bool:
    """True when the latest consent recorded for `scope` is given and not withdrawn. With
    `schriftelijk=True` only when that consent is in writing: given on paper with the signed
    form among the case's documents, or given digitally."""
    execution = current_execution()
    if execution is None:
        return False  # evaluated outside a case (deployment checks with sample data)
    from app.privacy.consent import latest

    consent = latest(execution.session, execution.row.id, scope)
    if consent is None or not consent.given or consent.withdrawn_at is not None:
        return False
    if not schriftelijk:
        return True
    from app.privacy.consent import in_writing

    return in_writing(consent)

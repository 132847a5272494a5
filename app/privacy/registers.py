"""The privacy officer's registers: data breaches (the covenants' privacy reglement art. 9,
a partner's own breach notice; AVG art. 33) and data subjects' requests (AVG art. 12 and
15-22; privacy reglement art. 10.3). Every change is one audit line naming the register entry
and the fields changed, never their content: the register itself is the record of what happened.

Deadlines:
- a breach: partners informed within 24 hours of its discovery (art. 9.1), the Autoriteit
  Persoonsgegevens within 72 hours when it must be reported (AVG art. 33.1), both in hours;
- a request: answered within one month of receipt, extendable once by two months with a
  reason (AVG art. 12.3); a period in months or days ending on a Saturday, Sunday or holiday
  ends on the next working day (Algemene termijnenwet, as for every term in Stroom); forwarded
  to the responsible partner within 5 working days (privacy reglement art. 10.3).
docs/processes.md names the covenants each rule comes from.
"""

from __future__ import annotations

import calendar as months
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app import clock
from app.auth.crypto import pseudonym
from app.auth.principal import Principal
from app.calendar.atw import default_calendar
from app.engine.errors import Conflict, InvalidInput
from app.privacy.models import DataBreach, SubjectRequest
from app.privacy.search import check_subject, normalise_bsn

PARTNERS_HOURS = 24
AUTHORITY_HOURS = 72
ANSWER_MONTHS = 1
EXTENSION_MONTHS = 2
FORWARD_WORKING_DAYS = 5
MAX_TEXT = 5000

# Privacy reglement art. 9.3 a-j, in the register's order: (field, label, required).
BREACH_FIELDS: tuple[tuple[str, str, bool], ...] = (
    ("nature", "a. Aard, oorzaak en (zo mogelijk) omvang", True),
    ("occurred_at", "b. Datum en tijdstip van de inbreuk", False),
    ("discovered_at", "c. Datum en tijdstip van ontdekking", True),
    ("subject_categories", "d. Categorieën van betrokkenen", True),
    ("data_kinds", "e. Soort persoonsgegevens", True),
    ("protection", "f. Versleuteld of anderszins onbegrijpelijk gemaakt?", True),
    ("contact", "g. Waar meer informatie te krijgen is (contact)", True),
    ("consequences", "h. Vastgestelde en vermoedelijke gevolgen", True),
    ("measures", "i. Getroffen of voorgestelde maatregelen", True),
)
MOMENTS = ("occurred_at", "discovered_at")
AUTHORITY_DECISIONS = {"gemeld": "gemeld bij de AP", "niet_melden": "niet gemeld"}
REQUEST_KINDS = {
    "inzage": "Inzage (art. 15)",
    "rectificatie": "Rectificatie (art. 16)",
    "verwijdering": "Verwijdering (art. 17)",
    "beperking": "Beperking van de verwerking (art. 18)",
    "overdraagbaarheid": "Overdraagbaarheid (art. 20)",
    "bezwaar": "Bezwaar (art. 21)",
}


@dataclass(frozen=True)
class Due:
    """One thing the privacy officer must do by a moment."""

    reference: str
    what: str
    due: datetime
    kind: str  # "datalek" or "verzoek"
    entry_id: int

    def late(self, now: datetime) -> bool:
        return now > self.due


# -- input ----------------------------------------------------------------------------------


def _text(values: dict[str, Any], name: str, errors: dict[str, list[str]], required: bool) -> str:
    value = str(values.get(name) or "").strip()
    if required and not value:
        errors[name] = ["Vul dit veld in."]
    elif len(value) > MAX_TEXT:
        errors[name] = [f"Gebruik hoogstens {MAX_TEXT} tekens."]
    return value


def _moment(
    values: dict[str, Any], name: str, errors: dict[str, list[str]], required: bool
) -> datetime | None:
    """A local date and time as a datetime-local field sends it (2026-03-02T09:30)."""
    raw = str(values.get(name) or "").strip()
    if not raw:
        if required:
            errors[name] = ["Vul datum en tijd in."]
        return None
    try:
        moment = datetime.fromisoformat(raw)
    except ValueError:
        errors[name] = ["Gebruik de vorm JJJJ-MM-DD UU:MM."]
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=clock.AMSTERDAM)
    if moment > clock.now() + timedelta(minutes=5):
        errors[name] = ["Dit moment ligt in de toekomst."]
        return None
    if moment.year < 2000:
        errors[name] = ["Dit moment ligt te ver terug."]
        return None
    return moment


def _day(values: dict[str, Any], name: str, errors: dict[str, list[str]]) -> date | None:
    raw = str(values.get(name) or "").strip()
    if not raw:
        errors[name] = ["Vul een datum in."]
        return None
    try:
        day = date.fromisoformat(raw)
    except ValueError:
        errors[name] = ["Gebruik de vorm JJJJ-MM-DD."]
        return None
    if day > clock.local(clock.now()).date():
        errors[name] = ["Deze datum ligt in de toekomst."]
        return None
    if day.year < 2000:
        errors[name] = ["Deze datum ligt te ver terug."]
        return None
    return day


def _next_reference(session: Session, model: Any, prefix: str) -> str:
    year = clock.local(clock.now()).year
    stem = f"{prefix}-{year}-"
    count = session.scalar(
        select(func.count()).select_from(model).where(model.reference.like(stem + "%"))
    )
    return f"{stem}{(count or 0) + 1:04d}"


# -- breaches -------------------------------------------------------------------------------


def record_breach(session: Session, principal: Principal, values: dict[str, Any]) -> DataBreach:
    errors: dict[str, list[str]] = {}
    found: dict[str, Any] = {}
    for name, _label, required in BREACH_FIELDS:
        if name in MOMENTS:
            found[name] = _moment(values, name, errors, required)
        else:
            found[name] = _text(values, name, errors, required)
    partner = _text(values, "reported_by_partner", errors, False) or None
    occurred, discovered = found["occurred_at"], found["discovered_at"]
    if occurred and discovered and occurred > discovered:
        errors["occurred_at"] = ["De inbreuk kan niet na de ontdekking hebben plaatsgevonden."]
    if errors:
        raise InvalidInput("het datalek is niet goed ingevuld", errors)
    breach = DataBreach(
        reference=_next_reference(session, DataBreach, "DL"),
        recorded_at=clock.now(),
        recorded_by=principal.actor,
        reported_by_partner=partner,
        **found,
    )
    session.add(breach)
    session.flush()
    return breach


def notify_partners(session: Session, breach: DataBreach, values: dict[str, Any]) -> None:
    errors: dict[str, list[str]] = {}
    whom = _text(values, "partners_notified", errors, True)
    at = _moment(values, "partners_notified_at", errors, True)
    if at and at < breach.discovered_at:
        errors["partners_notified_at"] = ["Dit moment ligt vóór de ontdekking."]
    if errors:
        raise InvalidInput("de melding aan de partners is niet goed ingevuld", errors)
    breach.partners_notified, breach.partners_notified_at = whom, at


def decide_authority(session: Session, breach: DataBreach, values: dict[str, Any]) -> None:
    errors: dict[str, list[str]] = {}
    decision = str(values.get("authority_decision") or "")
    if decision not in AUTHORITY_DECISIONS:
        errors["authority_decision"] = ["Kies: gemeld of niet melden."]
    reason = _text(values, "authority_reason", errors, True)
    at = _moment(values, "authority_notified_at", errors, decision == "gemeld")
    if decision != "gemeld":
        at = None
    if errors:
        raise InvalidInput("het besluit over de melding aan de AP is niet goed ingevuld", errors)
    breach.authority_decision, breach.authority_reason = decision, reason
    breach.authority_notified_at = at


def close_breach(breach: DataBreach) -> None:
    if breach.partners_notified_at is None or breach.authority_decision is None:
        raise Conflict(
            "een datalek sluit pas als de partners zijn ingelicht en over de AP is besloten"
        )
    breach.closed_at = clock.now()


def breach_dues(breach: DataBreach) -> list[Due]:
    dues: list[Due] = []
    if breach.closed_at is not None:
        return dues
    start = breach.discovered_at
    if breach.partners_notified_at is None and breach.reported_by_partner is None:
        dues.append(
            Due(
                breach.reference,
                "Partners inlichten (binnen 24 uur)",
                start + timedelta(hours=PARTNERS_HOURS),
                "datalek",
                breach.id,
            )
        )
    if breach.authority_decision is None:
        dues.append(
            Due(
                breach.reference,
                "Besluiten over melding aan de AP (binnen 72 uur)",
                start + timedelta(hours=AUTHORITY_HOURS),
                "datalek",
                breach.id,
            )
        )
    return dues


def breach_rows(breaches: list[DataBreach]) -> tuple[list[str], list[list[Any]]]:
    """The register as a table for export: art. 9.3 a-j and the notifications."""
    columns = ["Kenmerk", "Geregistreerd", "Gemeld door partner"]
    columns += [label for _name, label, _required in BREACH_FIELDS]
    columns += ["Partners ingelicht op", "Ingelicht", "j. AP", "j. Waarom", "AP gemeld op"]
    columns += ["Gesloten"]

    def when(moment: datetime | None) -> str:
        return clock.local(moment).strftime("%d-%m-%Y %H:%M") if moment else ""

    rows = []
    for b in breaches:
        row: list[Any] = [b.reference, when(b.recorded_at), b.reported_by_partner or ""]
        for name, _label, _required in BREACH_FIELDS:
            value = getattr(b, name)
            row.append(when(value) if name in MOMENTS else value)
        row += [
            when(b.partners_notified_at),
            b.partners_notified or "",
            AUTHORITY_DECISIONS.get(b.authority_decision or "", ""),
            b.authority_reason or "",
            when(b.authority_notified_at),
            when(b.closed_at),
        ]
        rows.append(row)
    return columns, rows


# -- data subjects' requests ----------------------------------------------------------------


def add_months(day: date, count: int) -> date:
    """The same day `count` months later, or that month's last day (31 Jan + 1 = 28/29 Feb)."""
    month = day.month - 1 + count
    year, month = day.year + month // 12, month % 12 + 1
    return date(year, month, min(day.day, months.monthrange(year, month)[1]))


def _end_of(day: date) -> datetime:
    """The end of a term: 23:59:59 Amsterdam on its last working day."""
    last = default_calendar().extend_term(day)
    return datetime.combine(last, time(23, 59, 59), tzinfo=clock.AMSTERDAM)


def register_request(
    session: Session, principal: Principal, secret_key: str, values: dict[str, Any]
) -> SubjectRequest:
    errors: dict[str, list[str]] = {}
    kind = str(values.get("kind") or "")
    if kind not in REQUEST_KINDS:
        errors["kind"] = ["Kies het soort verzoek."]
    bsn_errors: dict[str, str] = {}
    bsn = str(values.get("bsn") or "").strip()
    if not bsn:
        errors["bsn"] = ["Vul het BSN van de betrokkene in."]
    else:
        check_subject("bsn", bsn, bsn_errors)
        if bsn_errors:
            errors["bsn"] = list(bsn_errors.values())
    description = _text(values, "description", errors, True)
    received = _day(values, "received_on", errors)
    forward_to = _text(values, "forward_to", errors, False) or None
    if errors or received is None:
        raise InvalidInput("het verzoek is niet goed ingevuld", errors)
    request = SubjectRequest(
        reference=_next_reference(session, SubjectRequest, "AV"),
        kind=kind,
        received_at=datetime.combine(received, time(12, 0), tzinfo=clock.AMSTERDAM),
        recorded_by=principal.actor,
        subject_pseudonym=pseudonym(secret_key, "bsn", normalise_bsn(bsn)),
        description=description,
        due_on=_end_of(add_months(received, ANSWER_MONTHS)),
        forward_to=forward_to,
        forward_due_on=(
            _end_of(default_calendar().add_working_days(received, FORWARD_WORKING_DAYS))
            if forward_to
            else None
        ),
    )
    session.add(request)
    session.flush()
    return request


def extend_request(request: SubjectRequest, values: dict[str, Any]) -> None:
    errors: dict[str, list[str]] = {}
    reason = _text(values, "extended_reason", errors, True)
    if request.extended_reason:
        raise Conflict("een verzoek kan één keer worden verlengd (AVG art. 12 lid 3)")
    if request.answered_at:
        raise Conflict("dit verzoek is al beantwoord")
    if errors:
        raise InvalidInput("de verlenging is niet goed ingevuld", errors)
    received = clock.local(request.received_at).date()
    request.extended_reason = reason
    request.due_on = _end_of(add_months(received, ANSWER_MONTHS + EXTENSION_MONTHS))


def forward_request(request: SubjectRequest) -> None:
    if not request.forward_to:
        raise Conflict("dit verzoek hoeft niet te worden doorgestuurd")
    if request.forwarded_at:
        raise Conflict("dit verzoek is al doorgestuurd")
    request.forwarded_at = clock.now()


def answer_request(request: SubjectRequest, values: dict[str, Any]) -> None:
    errors: dict[str, list[str]] = {}
    outcome = _text(values, "outcome", errors, True)
    if request.answered_at:
        raise Conflict("dit verzoek is al beantwoord")
    if request.forward_to and not request.forwarded_at:
        raise Conflict(f"stuur het verzoek eerst door naar {request.forward_to}")
    if errors:
        raise InvalidInput("het antwoord is niet goed ingevuld", errors)
    request.outcome, request.answered_at = outcome, clock.now()


def request_dues(request: SubjectRequest) -> list[Due]:
    if request.answered_at:
        return []
    dues = []
    if request.forward_to and not request.forwarded_at and request.forward_due_on:
        dues.append(
            Due(
                request.reference,
                f"Doorsturen naar {request.forward_to} (5 werkdagen)",
                request.forward_due_on,
                "verzoek",
                request.id,
            )
        )
    dues.append(
        Due(
            request.reference,
            f"{REQUEST_KINDS[request.kind]} beantwoorden",
            request.due_on,
            "verzoek",
            request.id,
        )
    )
    return dues


def open_work(session: Session) -> list[Due]:
    """Everything due, the earliest first: the privacy officer's task list."""
    dues: list[Due] = []
    for breach in session.scalars(select(DataBreach).where(DataBreach.closed_at.is_(None))):
        dues.extend(breach_dues(breach))
    for request in session.scalars(
        select(SubjectRequest).where(SubjectRequest.answered_at.is_(None))
    ):
        dues.extend(request_dues(request))
    return sorted(dues, key=lambda d: d.due)

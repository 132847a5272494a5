"""Weert's return overview and AMW list as the API, the pages and the command line show them.

One place decides who gets which overview (app/processes/weert/service.py builds them through the
access layer, so every row shown is in the processing log):

- a **corporation** gets only its own overview, only once it was sent, and per tenant only
  the fields of its own monthly overview (`weert.OVERVIEW_FIELDS`: reference, name, address)
  plus the option of stap 4 — nothing of the enrichment. Another corporation's overview is
  "not found", as one that does not exist;
- the **municipality** (administratie, sdv) gets every overview with the rows still to send
  and the rows sent, as far as the catalogue lets its party read them;
- **AMW** gets its list (art. 12.3 fields); the municipality reads that list too;
- anyone else playing a part in the process (participatie, AMW for the overviews) is refused
  (403) and the refusal is an audit line.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.orm import Session

from app import clock
from app.auth.principal import Principal
from app.db import Database
from app.engine.errors import Forbidden, NotFound
from app.privacy import logs
from app.processes.weert import service as weert

LABELS = {
    "zaak": "Zaak",
    "referentie": "Referentie",
    "voorletters": "Voorletters",
    "tussenvoegsel": "Tussenvoegsel",
    "achternaam": "Achternaam",
    "geboortedatum": "Geboortedatum",
    "straat": "Straat",
    "huisnummer": "Huisnummer",
    "huisletter": "Huisletter",
    "toevoeging": "Toevoeging",
    "postcode": "Postcode",
    "woonplaats": "Woonplaats",
    "telefoon": "Telefoon",
    "leefsituatie": "Leefsituatie",
    "schuldgebieden": "Schuldgebieden",
    "optie": "Optie",
    "verstuurd_op": "Verstuurd op",
    "voorrang": "Voorrang (minderjarige kinderen)",
    "ontvangen_op": "Ontvangen op",
    "status": "Status",
}
# What the corporation receives per tenant, exactly.
CORPORATION_COLUMNS = (*weert.OVERVIEW_FIELDS, "optie")


@dataclass
class OverviewDocument:
    """One corporation's return overview of one month, as one viewer may see it."""

    corporation: str
    corporation_name: str
    period: str
    for_corporation: bool
    sent: weert.ReturnOverview
    waiting: weert.ReturnOverview | None = None  # the municipality only
    columns: list[str] = field(default_factory=list)

    @property
    def sent_at(self) -> Any:
        return self.sent.sent_at

    def rows(self) -> list[dict[str, Any]]:
        """Per tenant one dict with exactly `columns`; the sent rows first."""
        out = []
        for row, moment in [(r, self.sent.sent_at) for r in self.sent.rows] + [
            (r, None) for r in (self.waiting.rows if self.waiting else [])
        ]:
            values = {**row.fields, "optie": row.optie, "zaak": row.business_key}
            values["verstuurd_op"] = moment
            out.append({c: values.get(c) for c in self.columns})
        return out

    @property
    def column_labels(self) -> list[str]:
        return [LABELS.get(c, c) for c in self.columns]

    def table(self) -> tuple[list[str], list[list[Any]]]:
        """Labels and rows for CSV/XLSX (moments as local text)."""
        rows = [[_cell(r[c]) for c in self.columns] for r in self.rows()]
        return self.column_labels, rows

    def summary(self) -> dict[str, Any]:
        body: dict[str, Any] = {
            "corporatie": self.corporation,
            "maand": self.period,
            "verstuurd_op": self.sent.sent_at,
        }
        if not self.for_corporation and self.waiting is not None:
            body.update(
                te_versturen=len(self.waiting.rows),
                verstuurd=len(self.sent.rows),
                in_behandeling=self.waiting.pending,
                uiterlijk=self.waiting.deadline or self.sent.deadline,
                te_laat=(self.waiting.late if self.waiting.rows else self.sent.late),
            )
        return body


def _cell(value: Any) -> Any:
    from datetime import datetime

    if isinstance(value, datetime):
        return clock.local(value).strftime("%d-%m-%Y %H:%M")
    return value


def _refuse(db: Database, secret_key: str, principal: Principal, what: str, object_id: str) -> None:
    logs.audit(db, secret_key, principal, what, "weert", object_id, "geweigerd")


def overview_document(
    db: Database,
    session: Session,
    principal: Principal,
    org_key: str,
    period: str,
    secret_key: str,
) -> OverviewDocument:
    """The overview of `org_key` for `period` as `principal` may see it; NotFound for another
    corporation's (or an unknown) overview, Forbidden for parties that see no overviews."""
    parties = weert.process_parties(session, principal)
    known = {o.key: o for o in weert.corporations(session)}
    municipal = bool(parties & (weert.MUNICIPAL_PARTIES | {"*"}))
    own = "corporatie" in parties and principal.organisation_key == org_key
    if org_key not in known or not (municipal or own):
        _refuse(db, secret_key, principal, "retouroverzicht.lezen", f"{org_key}/{period}")
        if org_key in known and parties and "corporatie" not in parties:
            raise Forbidden("uw organisatie mag de retouroverzichten niet inzien")
        raise NotFound(f"retouroverzicht {org_key} {period} bestaat niet")
    sent = weert.sent_overview(db, session, principal, org_key, period, secret_key)
    doc = OverviewDocument(org_key, known[org_key].name, period, not municipal, sent)
    if not municipal:
        doc.columns = list(CORPORATION_COLUMNS)
        return doc
    try:
        doc.waiting = weert.return_overview(db, session, principal, org_key, period, secret_key)
    except PermissionError as exc:
        _refuse(db, secret_key, principal, "retouroverzicht.lezen", f"{org_key}/{period}")
        raise Forbidden(str(exc)) from exc
    seen = {n for r in doc.sent.rows + doc.waiting.rows for n in r.fields}
    doc.columns = ["zaak", *(n for n in weert.OVERVIEW_FIELDS if n in seen)]
    doc.columns += ["optie", "verstuurd_op"]
    return doc


def may_send(session: Session, principal: Principal) -> bool:
    return bool(weert.process_parties(session, principal) & (weert.MUNICIPAL_PARTIES | {"*"}))


def send(
    db: Database, principal: Principal, org_key: str, period: str, secret_key: str
) -> weert.SendResult:
    """Send as the municipality; others are refused as for reading."""
    with db.session() as session:
        allowed = may_send(session, principal)
        known = {o.key for o in weert.corporations(session)}
        parties = weert.process_parties(session, principal)
    if org_key not in known or not allowed:
        _refuse(db, secret_key, principal, "retouroverzicht.versturen", f"{org_key}/{period}")
        if org_key in known and parties and "corporatie" not in parties:
            raise Forbidden("uw organisatie mag retouroverzichten niet versturen")
        raise NotFound(f"retouroverzicht {org_key} {period} bestaat niet")
    return weert.send_return_overview_once(db, principal, org_key, period, secret_key)


@dataclass
class AmwDocument:
    period: str
    rows: list[weert.AmwRow]
    columns: list[str]

    def as_dicts(self) -> list[dict[str, Any]]:
        out = []
        for row in self.rows:
            values = {
                **row.fields,
                "zaak": row.business_key,
                "voorrang": row.voorrang,
                "ontvangen_op": row.received_at,
                "status": "open" if row.status == "open" else "afgehandeld",
            }
            out.append({c: values.get(c) for c in self.columns})
        return out

    @property
    def column_labels(self) -> list[str]:
        return [LABELS.get(c, c) for c in self.columns]

    def table(self) -> tuple[list[str], list[list[Any]]]:
        rows = [[_cell(r[c]) for c in self.columns] for r in self.as_dicts()]
        return self.column_labels, rows


def amw_document(
    db: Database, session: Session, principal: Principal, period: str, secret_key: str
) -> AmwDocument:
    """AMW's list received in `period` (the month of the 11th): open and handled first
    contacts, families with minor children first. AMW and the municipality only."""
    parties = weert.process_parties(session, principal)
    if not parties & (weert.AMW_LIST_PARTIES | {"*"}):
        _refuse(db, secret_key, principal, "amw_lijst.lezen", period)
        if parties:
            raise Forbidden("uw organisatie mag de AMW-lijst niet inzien")
        raise NotFound(f"AMW-lijst {period} bestaat niet")
    since, until = weert.month_bounds(period)
    rows = weert.amw_list(db, session, principal, secret_key, since, until, include_done=True)
    seen = {n for r in rows for n in r.fields}
    columns = ["zaak", "voorrang", *(n for n in weert.AMW_LIST_FIELDS if n in seen)]
    return AmwDocument(period, rows, [*columns, "ontvangen_op", "status"])

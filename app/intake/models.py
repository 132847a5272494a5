"""The signal store: every report of arrears, the batches they came in, the cases they
formed, partners' intake routes, and residents' objections."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.db import Base, UTCDateTime


class IntakeRoute(Base):
    """Which process a partner's signals start, for which municipality, and how the
    partner's references look; `settings` holds the partner's own terms (e.g. its
    collection rhythm: due days and reminders)."""

    __tablename__ = "intake_route"
    __table_args__ = (UniqueConstraint("organisation_id", "municipality"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"))
    municipality: Mapped[str] = mapped_column(String(100))
    process_key: Mapped[str] = mapped_column(String(200))
    reference_pattern: Mapped[str | None] = mapped_column(String(300))
    settings: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


class SignalBatch(Base):
    __tablename__ = "signal_batch"

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"))
    filename: Mapped[str] = mapped_column(String(300))
    sha256: Mapped[str] = mapped_column(String(64))
    received_at: Mapped[datetime] = mapped_column(UTCDateTime())
    received_by: Mapped[str] = mapped_column(String(200))
    rows_total: Mapped[int] = mapped_column(Integer, default=0)
    rows_stored: Mapped[int] = mapped_column(Integer, default=0)
    rows_duplicate: Mapped[int] = mapped_column(Integer, default=0)
    rows_rejected: Mapped[int] = mapped_column(Integer, default=0)
    rows_objected: Mapped[int] = mapped_column(Integer, default=0)
    # [{"rij": 12, "veld": "postcode", "probleem": "..."}] - never the rejected values.
    errors: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)


class SignalCase(Base):
    """Signals for one address in one month form one case."""

    __tablename__ = "signal_case"
    __table_args__ = (UniqueConstraint("municipality", "address_key", "period"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    municipality: Mapped[str] = mapped_column(String(100))
    # Keyed hash of the address; NULL once the case is erased (migration 0008).
    address_key: Mapped[str | None] = mapped_column(String(64))
    period: Mapped[str] = mapped_column(String(7))  # YYYY-MM
    # Deferred: the intake writes the case with the id its instance will get, then the
    # instance, in one transaction. Indexed: with a deferred key SQLite looks for this
    # table's rows on every insert of an instance (migration 0019).
    instance_id: Mapped[str | None] = mapped_column(
        ForeignKey("process_instance.id", deferrable=True, initially="DEFERRED"), index=True
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class Signal(Base):
    __tablename__ = "signal"
    __table_args__ = (
        UniqueConstraint("organisation_id", "reference", "period"),
        Index("ix_signal_address", "address_key", "period"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"))
    reference: Mapped[str] = mapped_column(String(100))
    period: Mapped[str] = mapped_column(String(7))
    municipality: Mapped[str] = mapped_column(String(100))
    address_key: Mapped[str | None] = mapped_column(String(64))  # NULL once erased (0008)
    channel: Mapped[str] = mapped_column(String(20))  # api, bestand, formulier
    batch_id: Mapped[int | None] = mapped_column(ForeignKey("signal_batch.id"))
    case_id: Mapped[int | None] = mapped_column(ForeignKey("signal_case.id"), index=True)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime())
    # An earlier signal for this address within the look-back period (six months).
    earlier_signal: Mapped[bool] = mapped_column(default=False)
    data: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)

    case: Mapped[SignalCase | None] = relationship()


class Objection(Base):
    """A resident's recorded objection to being followed up: signals for them make no case,
    and nothing of those signals is kept. The subject is a keyed hash, never the address."""

    __tablename__ = "objection"
    __table_args__ = (Index("ix_objection_subject", "municipality", "subject_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    municipality: Mapped[str] = mapped_column(String(100))
    subject_key: Mapped[str] = mapped_column(String(64))
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime())
    recorded_by: Mapped[str] = mapped_column(String(200))
    source: Mapped[str] = mapped_column(String(200))  # e.g. "brief corporatie", "huisbezoek"
    note: Mapped[str | None] = mapped_column(Text)
    # How many signals were turned away because of it (no data of them is kept).
    signals_refused: Mapped[int] = mapped_column(Integer, default=0)

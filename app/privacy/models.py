"""Consent, the processing log (Logboek Dataverwerkingen) and the audit log (BIO)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from app.db import Base, UTCDateTime

BigId = BigInteger().with_variant(Integer(), "sqlite")


class Consent(Base):
    """A resident's consent (or refusal) for one scope within one case, and its withdrawal."""

    __tablename__ = "consent"
    __table_args__ = (Index("ix_consent_instance_scope", "instance_id", "scope"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    instance_id: Mapped[str] = mapped_column(ForeignKey("process_instance.id"))
    scope: Mapped[str] = mapped_column(String(100))
    given: Mapped[bool]
    given_by: Mapped[str] = mapped_column(String(300))  # the resident or a representative
    channel: Mapped[str] = mapped_column(String(40))  # schriftelijk, mondeling, digitaal
    recorded_by: Mapped[str] = mapped_column(String(200))
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime())
    evidence_document_id: Mapped[int | None] = mapped_column(ForeignKey("document.id"))
    note: Mapped[str | None] = mapped_column(Text)
    withdrawn_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    withdrawn_by: Mapped[str | None] = mapped_column(String(200))
    withdrawal_channel: Mapped[str | None] = mapped_column(String(40))


class ProcessingLog(Base):
    """One processing of personal data, after Logius' Logboek Dataverwerkingen: what was
    done, for which registered processing activity, about whom (pseudonymised), with which
    result. Deliberately no user identity here: that is in the audit log."""

    __tablename__ = "processing_log"
    __table_args__ = (
        Index("ix_processing_log_subject", "data_subject_id"),
        Index("ix_processing_log_trace", "trace_id"),
        Index("ix_processing_log_start", "start_time"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    trace_id: Mapped[str] = mapped_column(String(32))
    operation_id: Mapped[str] = mapped_column(String(16))  # span id
    parent_operation_id: Mapped[str | None] = mapped_column(String(16))
    name: Mapped[str] = mapped_column(String(200))  # e.g. "casusgegevens lezen"
    activity_id: Mapped[str] = mapped_column(String(200))  # processing activity (register)
    data_subject_id: Mapped[str | None] = mapped_column(String(64))  # keyed hash, not the id
    data_subject_type: Mapped[str | None] = mapped_column(String(20))  # zaak, bsn
    status: Mapped[str] = mapped_column(String(10))  # OK, ERROR
    start_time: Mapped[datetime] = mapped_column(UTCDateTime())
    end_time: Mapped[datetime] = mapped_column(UTCDateTime())
    # Which categories of data and why (purpose, legal basis); never the values themselves.
    attributes: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


class AuditLog(Base):
    """Who did what to which object, with which result, from where (BIO)."""

    __tablename__ = "audit_log"
    __table_args__ = (
        Index("ix_audit_log_at", "at"),
        Index("ix_audit_log_actor", "actor"),
        Index("ix_audit_log_object", "object_type", "object_id"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime())
    actor: Mapped[str] = mapped_column(String(200))  # user:<name>, token:<name>, cli, worker
    organisation: Mapped[str | None] = mapped_column(String(100))
    action: Mapped[str] = mapped_column(String(100))
    object_type: Mapped[str] = mapped_column(String(60))
    object_id: Mapped[str | None] = mapped_column(String(100))
    result: Mapped[str] = mapped_column(String(20))  # gelukt, geweigerd, fout
    origin: Mapped[str | None] = mapped_column(String(200))  # IP address, or the channel
    channel: Mapped[str] = mapped_column(String(20))  # web, api, cli, worker
    details: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)

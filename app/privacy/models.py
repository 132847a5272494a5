"""Consent, the processing log (Logboek Dataverwerkingen), the audit log (BIO), and the
privacy officer's registers: data breaches and data subjects' requests."""

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


class DataBreach(Base):
    """One personal-data breach in the register (the covenants' privacy reglement, art. 9.3
    a-j; docs/processes.md names the sources): Stroom's own, or a partner's notice that it had
    one. The deadlines follow from `discovered_at`: partners informed within 24 hours (art.
    9.1), the Autoriteit Persoonsgegevens within 72 hours when it must be reported (AVG art.
    33)."""

    __tablename__ = "data_breach"

    id: Mapped[int] = mapped_column(primary_key=True)
    reference: Mapped[str] = mapped_column(String(20), unique=True)
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime())
    recorded_by: Mapped[str] = mapped_column(String(200))
    reported_by_partner: Mapped[str | None] = mapped_column(String(200))  # a partner's notice
    nature: Mapped[str] = mapped_column(Text)  # a: nature, cause, extent
    occurred_at: Mapped[datetime | None] = mapped_column(UTCDateTime())  # b (None: unknown)
    discovered_at: Mapped[datetime] = mapped_column(UTCDateTime())  # c
    subject_categories: Mapped[str] = mapped_column(Text)  # d
    data_kinds: Mapped[str] = mapped_column(Text)  # e
    protection: Mapped[str] = mapped_column(Text)  # f: encrypted or otherwise unintelligible?
    contact: Mapped[str] = mapped_column(Text)  # g: where to learn more
    consequences: Mapped[str] = mapped_column(Text)  # h
    measures: Mapped[str] = mapped_column(Text)  # i
    partners_notified_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    partners_notified: Mapped[str | None] = mapped_column(Text)  # whom
    authority_decision: Mapped[str | None] = mapped_column(String(20))  # j: gemeld, niet_melden
    authority_reason: Mapped[str | None] = mapped_column(Text)  # j: why (not)
    authority_notified_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class SubjectRequest(Base):
    """A data subject's request under AVG art. 15-22 (inzage, rectificatie, verwijdering,
    beperking, bezwaar, overdraagbaarheid): answered within one month, extendable by two
    (art. 12.3); forwarded within 5 working days to the partner responsible where the
    processing is theirs (privacy reglement art. 10.3). The subject is held as the keyed
    pseudonym the processing log uses, never as a BSN in clear."""

    __tablename__ = "subject_request"

    id: Mapped[int] = mapped_column(primary_key=True)
    reference: Mapped[str] = mapped_column(String(20), unique=True)
    kind: Mapped[str] = mapped_column(String(30))
    received_at: Mapped[datetime] = mapped_column(UTCDateTime())
    recorded_by: Mapped[str] = mapped_column(String(200))
    subject_pseudonym: Mapped[str] = mapped_column(String(64), index=True)
    description: Mapped[str] = mapped_column(Text)
    due_on: Mapped[datetime] = mapped_column(UTCDateTime())
    extended_reason: Mapped[str | None] = mapped_column(Text)
    forward_to: Mapped[str | None] = mapped_column(String(200))
    forward_due_on: Mapped[datetime | None] = mapped_column(UTCDateTime())
    forwarded_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    answered_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    outcome: Mapped[str | None] = mapped_column(Text)

"""Cases: which team plays which party of a process in a municipality, a case's documents, and
a municipality's own settings. Who plays a party in one instance is the engine's
(`app.engine.models.InstanceParty`)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from app.db import Base, UTCDateTime


class PartyBinding(Base):
    """Per process and municipality: the group that plays a party (e.g. the party
    `wijkteam` of a process is the municipality's own social team). The reporting party (the
    corporation) is bound per case, from the partner who reported."""

    __tablename__ = "party_binding"
    __table_args__ = (UniqueConstraint("process_key", "municipality", "party"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    process_key: Mapped[str] = mapped_column(String(200))
    municipality: Mapped[str] = mapped_column(String(100))
    party: Mapped[str] = mapped_column(String(100))
    group_key: Mapped[str] = mapped_column(String(200))


class Document(Base):
    """A file belonging to a case (a signed consent form, a scanned agreement). The bytes
    live in the document store (app/cases/documents.py), addressed by their hash."""

    __tablename__ = "document"
    __table_args__ = (Index("ix_document_instance", "instance_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    instance_id: Mapped[str | None] = mapped_column(ForeignKey("process_instance.id"))
    name: Mapped[str] = mapped_column(String(300))
    content_type: Mapped[str] = mapped_column(String(200))
    size: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    category: Mapped[str] = mapped_column(String(100))
    uploaded_by: Mapped[str | None] = mapped_column(String(200))
    uploaded_at: Mapped[datetime] = mapped_column(UTCDateTime())


class CaseNote(Base):
    """A note on a case by a worker. Read by the writer's organisation, and by the parties the
    catalogue names under `notities: {lezen: ...}` (per phase, as for a field); erased with
    the case's other records (app/privacy/erasure.py)."""

    __tablename__ = "case_note"
    __table_args__ = (Index("ix_case_note_instance", "instance_id", "organisation_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    instance_id: Mapped[str] = mapped_column(ForeignKey("process_instance.id"))
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"))
    author: Mapped[str] = mapped_column(String(200))
    text: Mapped[str] = mapped_column(String(2000))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class ProcessSetting(Base):
    """A municipality's own value for a term of a process (default: the catalogue's)."""

    __tablename__ = "process_setting"
    __table_args__ = (UniqueConstraint("process_key", "municipality", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    process_key: Mapped[str] = mapped_column(String(200))
    municipality: Mapped[str] = mapped_column(String(100))
    name: Mapped[str] = mapped_column(String(100))
    value: Mapped[Any] = mapped_column(JSON)
    changed_at: Mapped[datetime] = mapped_column(UTCDateTime())
    changed_by: Mapped[str] = mapped_column(String(200))

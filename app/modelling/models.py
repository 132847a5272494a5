"""A process owner's draft of a process (diagram and catalogue): saved from the web modeller
and the catalogue editor, not yet published; the catalogue text last published from the
browser; and the privacy officer's approvals of catalogues that widen who may read."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from app.db import Base, UTCDateTime


class ProcessDraft(Base):
    """One draft per process, shared by its owners: the modeller opens it instead of the
    newest version until it is published or thrown away."""

    __tablename__ = "process_draft"

    process_key: Mapped[str] = mapped_column(String(200), primary_key=True)
    xml: Mapped[str] = mapped_column(Text)
    # The catalogue file as edited (app/catalogue/source.py); None = unchanged.
    catalogue: Mapped[str | None] = mapped_column(Text, default=None)
    # The version the draft was made from: publishing over a newer one is said on the page.
    based_on: Mapped[int] = mapped_column(Integer)
    saved_by: Mapped[str] = mapped_column(String(200))
    saved_at: Mapped[datetime] = mapped_column(UTCDateTime())


class CatalogueSource(Base):
    """The catalogue file a version was published with from the browser: a version keeps
    only the catalogue's tree, and the next edit starts from the file with its comments."""

    __tablename__ = "catalogue_source"

    process_key: Mapped[str] = mapped_column(String(200), primary_key=True)
    version: Mapped[int] = mapped_column(Integer)
    text: Mapped[str] = mapped_column(Text)


class ApprovalStatus:
    PENDING = "wacht"
    APPROVED = "goedgekeurd"
    REJECTED = "afgewezen"
    # The owner changed the catalogue again, threw the change away or published another
    # version: nothing left to decide.
    LAPSED = "vervallen"


class CatalogueApproval(Base):
    """A catalogue that widens who may read personal data, waiting for (or decided by) the
    privacy officer. It holds for exactly this catalogue text on exactly this version."""

    __tablename__ = "catalogue_approval"
    __table_args__ = (Index("ix_catalogue_approval_process", "process_key", "status"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    process_key: Mapped[str] = mapped_column(String(200))
    based_on: Mapped[int] = mapped_column(Integer)
    digest: Mapped[str] = mapped_column(String(64))
    catalogue: Mapped[str] = mapped_column(Text)
    # [{soort, veld, partij, omschrijving}] as found when asked (app/catalogue/widening.py).
    widenings: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    requested_by: Mapped[str] = mapped_column(String(200))
    requested_at: Mapped[datetime] = mapped_column(UTCDateTime())
    status: Mapped[str] = mapped_column(String(20), default=ApprovalStatus.PENDING)
    decided_by: Mapped[str | None] = mapped_column(String(200), default=None)
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    reason: Mapped[str | None] = mapped_column(String(2000), default=None)

"""The stuck list's maintained facts (app/manage/stuck_reasons.py says how they stay exact)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Index, Integer, String, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column

from app.db import Base, UTCDateTime

BigId = BigInteger().with_variant(Integer(), "sqlite")


class StuckFact(Base):
    """What an instance's waits say, without the clock and without limits: a deadline of an
    open task or a waiting timer, since when a message is awaited, since when nothing moved at
    an activity. The list compares them with its own moment and each row's current limit.

    Each fact is kept once for every scope without an organisation (`organisation_id` 0)
    and once more for each organisation that plays a party in the instance, so that a
    manager's count is a range of the index too, not a probe of the parties per row."""

    __tablename__ = "stuck_fact"
    __table_args__ = (
        # Every count is a range of one kind and scope on this index (read from the index
        # alone on PostgreSQL): the moment against the widest horizon or cutoff, then the
        # row's own limit.
        Index(
            "ix_stuck_fact_kind_moment",
            "kind",
            "organisation_id",
            "moment",
            postgresql_include=[
                "instance_id",
                "process_key",
                "version_id",
                "municipality",
                "element_id",
            ],
        ),
        Index("ix_stuck_fact_instance", "instance_id"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    instance_id: Mapped[str] = mapped_column(String(36))
    # incident, suspended, task, timer, message, idle
    kind: Mapped[str] = mapped_column(String(10))
    organisation_id: Mapped[int] = mapped_column(Integer)  # 0: the row for every scope
    process_key: Mapped[str] = mapped_column(String(200))
    version_id: Mapped[int] = mapped_column(Integer)
    municipality: Mapped[str | None] = mapped_column(String(100))
    element_id: Mapped[str | None] = mapped_column(String(200))
    moment: Mapped[datetime] = mapped_column(UTCDateTime())
    since: Mapped[datetime] = mapped_column(UTCDateTime())
    detail: Mapped[str | None] = mapped_column(Text)
    ref: Mapped[str | None] = mapped_column(String(36))


class StuckMark(Base):
    """An instance whose facts may be stale: written by database triggers (migration 0021) in
    the transaction that changes any of its waits, events or the instance row itself."""

    __tablename__ = "stuck_mark"
    __table_args__ = (UniqueConstraint("instance_id", "tx", name="uq_stuck_mark_instance_tx"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    instance_id: Mapped[str] = mapped_column(String(36))
    # The writing transaction (PostgreSQL's txid; 0 on SQLite, where writers are serialised):
    # one mark per instance and transaction, never merged with a mark a refresh has read.
    tx: Mapped[int] = mapped_column(BigInteger, server_default=text("0"))


class StuckFactVersion(Base):
    """Which definition of the facts `stuck_fact` holds (one row): stuck_reasons.FACTS_VERSION
    of the code that built them. A list whose code defines facts otherwise reads the rule."""

    __tablename__ = "stuck_fact_version"

    version: Mapped[int] = mapped_column(Integer, primary_key=True)

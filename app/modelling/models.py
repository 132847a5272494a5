"""A process owner's draft of a diagram: saved from the web modeller, not yet published."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from app.db import Base, UTCDateTime


class ProcessDraft(Base):
    """One draft per process, shared by its owners: the modeller opens it instead of the
    newest version until it is published or thrown away."""

    __tablename__ = "process_draft"

    process_key: Mapped[str] = mapped_column(String(200), primary_key=True)
    xml: Mapped[str] = mapped_column(Text)
    # The version the draft was made from: publishing over a newer one is said on the page.
    based_on: Mapped[int] = mapped_column(Integer)
    saved_by: Mapped[str] = mapped_column(String(200))
    saved_at: Mapped[datetime] = mapped_column(UTCDateTime())

"""Who is who: organisations, users, groups, roles, and API tokens of partner systems."""

from __future__ import annotations

import enum
from datetime import date, datetime

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.db import Base, UTCDateTime


class OrganisationKind(enum.StrEnum):
    GEMEENTE = "gemeente"  # a municipal department (debt services, W&I, troubleshooter)
    WONINGCORPORATIE = "woningcorporatie"
    WIJKTEAM = "wijkteam"  # (sociaal) wijkteam, buurtteam
    AMW = "amw"
    BUDGETBEHEER = "budgetbeheer"
    VRIJWILLIGERS = "vrijwilligers"
    UITVOERDER = "uitvoerder"
    SCHULDEISER = "schuldeiser"  # health insurer, water, energy company
    BEHEER = "beheer"  # the organisation running the installation


class Role(enum.StrEnum):
    CASE_WORKER = "behandelaar"
    TEAM_LEAD = "teamleider"
    MANAGER = "manager"
    PROCESS_OWNER = "procesbeheerder"
    PRIVACY_OFFICER = "privacyfunctionaris"
    ADMINISTRATOR = "beheerder"
    PARTNER_SYSTEM = "partnersysteem"

    @property
    def label(self) -> str:
        return {
            "behandelaar": "Behandelaar",
            "teamleider": "Teamleider",
            "manager": "Manager",
            "procesbeheerder": "Procesbeheerder",
            "privacyfunctionaris": "Privacyfunctionaris",
            "beheerder": "Beheerder",
            "partnersysteem": "Partnersysteem",
        }[self.value]


class Organisation(Base):
    __tablename__ = "organisation"

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(100), unique=True)
    name: Mapped[str] = mapped_column(String(300))
    kind: Mapped[str] = mapped_column(String(40))
    # The municipality whose covenants this organisation works under (one installation can
    # serve a whole region).
    municipality: Mapped[str | None] = mapped_column(String(100), index=True)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class User(Base):
    __tablename__ = "app_user"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(150), unique=True)
    name: Mapped[str] = mapped_column(String(300))
    email: Mapped[str | None] = mapped_column(String(300))
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"), index=True)
    password_hash: Mapped[str | None] = mapped_column(String(300))
    # Encrypted with the application key (see app.auth.crypto); None until enrolled.
    totp_secret: Mapped[str | None] = mapped_column(String(500))
    # The TOTP time step of the last accepted code: each code is accepted once.
    totp_last_step: Mapped[int | None] = mapped_column(Integer)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    failed_logins: Mapped[int] = mapped_column(Integer, default=0)
    locked_until: Mapped[datetime | None] = mapped_column(UTCDateTime())
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # Stored in every session made for the user; raising it ends them all (logout, password
    # change, deactivation, second-factor reset), also copies of a cookie kept from before.
    session_generation: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    oidc_subject: Mapped[str | None] = mapped_column(String(300), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())

    organisation: Mapped[Organisation] = relationship(lazy="joined")
    role_rows: Mapped[list[UserRole]] = relationship(cascade="all, delete-orphan", lazy="selectin")
    memberships: Mapped[list[GroupMember]] = relationship(
        cascade="all, delete-orphan", lazy="selectin"
    )

    @property
    def roles(self) -> set[str]:
        return {r.role for r in self.role_rows}


class UserRole(Base):
    __tablename__ = "user_role"

    user_id: Mapped[int] = mapped_column(ForeignKey("app_user.id"), primary_key=True)
    role: Mapped[str] = mapped_column(String(40), primary_key=True)


class Group(Base):
    """A team whose members share a work queue; its key is what `camunda:candidateGroups`
    and the process bindings name."""

    __tablename__ = "app_group"

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(200), unique=True)
    name: Mapped[str] = mapped_column(String(300))
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"), index=True)

    organisation: Mapped[Organisation] = relationship(lazy="joined")


class GroupMember(Base):
    __tablename__ = "group_member"
    __table_args__ = (Index("ix_group_member_user", "user_id"),)

    group_id: Mapped[int] = mapped_column(ForeignKey("app_group.id"), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("app_user.id"), primary_key=True)

    group: Mapped[Group] = relationship(lazy="joined")


class ClosureDay(Base):
    """A day an organisation is closed; not a working day for its terms."""

    __tablename__ = "closure_day"
    __table_args__ = (UniqueConstraint("organisation_id", "day"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"))
    day: Mapped[date] = mapped_column(Date)
    reason: Mapped[str] = mapped_column(String(300))


class ApiToken(Base):
    __tablename__ = "api_token"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    # The first characters of the token, to recognise it in lists; never enough to use it.
    prefix: Mapped[str] = mapped_column(String(20))
    # sha256 of the whole token: tokens are 256 random bits, so a fast hash is safe here
    # (unlike passwords, which use argon2).
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    scopes: Mapped[list[str]] = mapped_column(JSON, default=list)
    # The partner organisation the token acts for. None: an operator's token made on the
    # command line, acting for the installation as a whole.
    organisation_id: Mapped[int | None] = mapped_column(ForeignKey("organisation.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    created_by: Mapped[str | None] = mapped_column(String(200))
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    organisation: Mapped[Organisation | None] = relationship(lazy="joined")


class RateLimitCounter(Base):
    """A request budget's counter (app/ratelimit.py), shared by every web process: one row
    per limit and key (token, address, person), counting until `expires_at` (epoch seconds)."""

    __tablename__ = "rate_limit_counter"

    key: Mapped[str] = mapped_column(String(300), primary_key=True)
    count: Mapped[int] = mapped_column(Integer)
    expires_at: Mapped[float] = mapped_column(Float, index=True)

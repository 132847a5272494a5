"""Engine tables: deployed versions, instances, and their materialised wait states.

An instance's SpiffWorkflow state is one JSON document (`ProcessInstance.state`). What people
and workers query lives in ordinary indexed tables, rewritten only when it changes: open human
tasks, timers, jobs, message and signal subscriptions and incidents. `InstanceEvent` is the
append-only history.
"""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.db import Base, UTCDateTime

BigId = BigInteger().with_variant(Integer(), "sqlite")


class InstanceStatus(enum.StrEnum):
    RUNNING = "running"  # engine work pending (service-task jobs)
    WAITING = "waiting"  # waiting for people, timers or messages
    COMPLETED = "completed"
    CANCELLED = "cancelled"
    SUSPENDED = "suspended"
    ERROR = "error"  # an open incident

    @classmethod
    def ended(cls) -> tuple[str, ...]:
        return (cls.COMPLETED.value, cls.CANCELLED.value)


class ProcessDefinition(Base):
    __tablename__ = "process_definition"

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(200), unique=True)
    name: Mapped[str] = mapped_column(String(300))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())

    versions: Mapped[list[ProcessVersion]] = relationship(
        back_populates="definition", order_by="ProcessVersion.version"
    )


class ProcessVersion(Base):
    __tablename__ = "process_version"
    __table_args__ = (UniqueConstraint("definition_id", "version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    definition_id: Mapped[int] = mapped_column(ForeignKey("process_definition.id"))
    version: Mapped[int] = mapped_column(Integer)
    content_hash: Mapped[str] = mapped_column(String(64), index=True)
    source_name: Mapped[str] = mapped_column(String(300))
    # Large; loaded only when asked for (specs are cached per version, see runtime.py).
    bpmn_xml: Mapped[str] = mapped_column(Text, deferred=True)
    spec_json: Mapped[str] = mapped_column(Text, deferred=True)
    # Forms referenced by user tasks, frozen with the version: {form key: form-js schema}.
    forms: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    # Per-element facts for people: {element id: {name, type, lane, line}}.
    elements: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    # The data catalogue the version was deployed with (app/catalogue/).
    catalogue: Mapped[dict[str, Any] | None] = mapped_column(JSON, deferred=True)
    deployed_at: Mapped[datetime] = mapped_column(UTCDateTime())
    deployed_by: Mapped[str | None] = mapped_column(String(200))

    definition: Mapped[ProcessDefinition] = relationship(back_populates="versions")


class ProcessInstance(Base):
    __tablename__ = "process_instance"
    __table_args__ = (
        Index("ix_process_instance_key_status", "definition_key", "status"),
        # The stuck list's "geen voortgang" (migration 0006 says why it covers these columns).
        Index(
            "ix_process_instance_active_updated",
            "updated_at",
            postgresql_where=text("status IN ('waiting', 'running')"),
            postgresql_include=[
                "id",
                "version_id",
                "municipality",
                "definition_key",
                "business_key",
                "status",
            ],
            sqlite_where=text("status IN ('waiting', 'running')"),
        ),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    version_id: Mapped[int] = mapped_column(ForeignKey("process_version.id"), index=True)
    definition_key: Mapped[str] = mapped_column(String(200))
    business_key: Mapped[str | None] = mapped_column(String(200), index=True)
    status: Mapped[str] = mapped_column(String(20))
    state: Mapped[str] = mapped_column(Text)
    # Optimistic concurrency on top of the row lock: runtime.py updates with
    # WHERE revision = <loaded>, so a write based on a stale read fails instead of winning.
    revision: Mapped[int] = mapped_column(Integer, default=1)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # A finished case: when the next of its fields reaches the end of its retention period
    # (app/privacy/retention.py); None when nothing is left to expire.
    data_expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), index=True)
    started_by: Mapped[str | None] = mapped_column(String(200))
    # The status before a suspension, restored on resume.
    suspended_status: Mapped[str | None] = mapped_column(String(20))
    # The catalogue phase the case is in (decides who may see what).
    phase: Mapped[str | None] = mapped_column(String(100))
    # The municipality whose covenant governs the case.
    municipality: Mapped[str | None] = mapped_column(String(100))
    # The case data as of the last transition (copied from the workflow so reads and
    # searches need not restore it). Only ever shown through app/privacy/access.py.
    data: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)

    version: Mapped[ProcessVersion] = relationship()

    @property
    def version_number(self) -> int:
        return self.version.version


class TaskStatus(enum.StrEnum):
    OPEN = "open"
    COMPLETED = "completed"
    CANCELLED = "cancelled"


class HumanTask(Base):
    """A user or manual task that is ready for people. The id is SpiffWorkflow's task id."""

    __tablename__ = "human_task"
    __table_args__ = (
        # Overdue and at-risk tasks (the stuck list, app/manage/stuck.py): with the instance
        # and element in the index, its counts are read from the index alone on PostgreSQL.
        Index(
            "ix_human_task_open_due",
            "due_at",
            postgresql_where=text("status = 'open'"),
            sqlite_where=text("status = 'open'"),
            postgresql_include=["instance_id", "element_id"],
        ),
        Index("ix_human_task_instance", "instance_id", "status"),
        Index("ix_human_task_assignee", "assignee", "status"),
        # The API's task list (oldest first, app/engine/queries.py): walked in order and cut
        # at the page, instead of sorting every open task per request.
        Index(
            "ix_human_task_open_created",
            "created_at",
            "id",
            postgresql_where=text("status = 'open'"),
            sqlite_where=text("status = 'open'"),
        ),
        # The inbox's order (priority first, then the nearest deadline) over open tasks.
        Index(
            "ix_human_task_inbox",
            text("priority DESC"),
            "due_at",
            "created_at",
            "id",
            postgresql_where=text("status = 'open'"),
            sqlite_where=text("status = 'open'"),
        ),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    instance_id: Mapped[str] = mapped_column(ForeignKey("process_instance.id"))
    definition_key: Mapped[str] = mapped_column(String(200))
    element_id: Mapped[str] = mapped_column(String(200))
    name: Mapped[str] = mapped_column(String(300))
    lane: Mapped[str | None] = mapped_column(String(200))
    # The catalogue party doing this task (from its lane); decides what it may see and write.
    party: Mapped[str | None] = mapped_column(String(100))
    form_key: Mapped[str | None] = mapped_column(String(300))
    candidate_groups: Mapped[list[str]] = mapped_column(JSON, default=list)
    candidate_users: Mapped[list[str]] = mapped_column(JSON, default=list)
    assignee: Mapped[str | None] = mapped_column(String(200))
    priority: Mapped[int] = mapped_column(Integer, default=50)
    due_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    follow_up_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    status: Mapped[str] = mapped_column(String(20), default=TaskStatus.OPEN.value)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    claimed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    completed_by: Mapped[str | None] = mapped_column(String(200))

    groups: Mapped[list[HumanTaskGroup]] = relationship(cascade="all, delete-orphan")


class HumanTaskGroup(Base):
    """One row per candidate group of an OPEN task (removed when the task closes), so a
    team's inbox is an index lookup over its open tasks only.

    It repeats the task's assignee and sort keys so that a team's first page is read from
    one index in inbox order, without visiting every open task of the team (bench/inbox.py).
    The runtime writes them with the row; a database trigger (migration 0007) keeps them
    equal to the task's when a task is claimed, released, reassigned or re-prioritised.

    It repeats the task's process, element and name too (which never change), so the inbox's
    filter menus (the kinds of task open in the viewer's groups) are read from this index
    instead of visiting every open task of the viewer's groups (migration 0019)."""

    __tablename__ = "human_task_group"
    __table_args__ = (
        # A group's open tasks oldest first: the API's task list (app/engine/queries.py),
        # read in order and cut at the page; on PostgreSQL with the kind of task, for the
        # inbox's filter menus (app/tasks/views.py), from the index alone.
        Index(
            "ix_human_task_group_created",
            "group_key",
            "created_at",
            "task_id",
            postgresql_include=["definition_key", "element_id", "name"],
        ),
        Index(
            "ix_human_task_group_inbox",
            "group_key",
            "assignee",
            text("priority DESC"),
            "due_at",
            "created_at",
            "task_id",
        ),
    )

    task_id: Mapped[str] = mapped_column(ForeignKey("human_task.id"), primary_key=True)
    group_key: Mapped[str] = mapped_column(String(200), primary_key=True)
    assignee: Mapped[str | None] = mapped_column(String(200))
    priority: Mapped[int | None] = mapped_column(Integer, default=50)
    due_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    definition_key: Mapped[str | None] = mapped_column(String(200))
    element_id: Mapped[str | None] = mapped_column(String(200))
    name: Mapped[str | None] = mapped_column(String(300))


class WaitStatus(enum.StrEnum):
    WAITING = "waiting"
    DONE = "done"
    CANCELLED = "cancelled"


class Timer(Base):
    __tablename__ = "timer"
    __table_args__ = (
        # Due timers for the worker; with instance, element and kind included, the stuck
        # list's late and at-risk timers are read from the index alone on PostgreSQL.
        Index(
            "ix_timer_due",
            "due_at",
            postgresql_where=text("status = 'waiting'"),
            sqlite_where=text("status = 'waiting'"),
            postgresql_include=["instance_id", "element_id", "kind"],
        ),
        Index("ix_timer_instance", "instance_id", "status"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    instance_id: Mapped[str] = mapped_column(ForeignKey("process_instance.id"))
    spiff_task_id: Mapped[str] = mapped_column(String(36))
    element_id: Mapped[str] = mapped_column(String(200))
    name: Mapped[str | None] = mapped_column(String(300))
    kind: Mapped[str] = mapped_column(String(20))  # date, duration, cycle
    due_at: Mapped[datetime] = mapped_column(UTCDateTime())
    status: Mapped[str] = mapped_column(String(20), default=WaitStatus.WAITING.value)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    fired_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class JobStatus(enum.StrEnum):
    PENDING = "pending"
    DONE = "done"
    INCIDENT = "incident"
    CANCELLED = "cancelled"


class Job(Base):
    """An external service task waiting for a worker."""

    __tablename__ = "job"
    __table_args__ = (
        Index(
            "ix_job_due",
            "next_attempt_at",
            postgresql_where=text("status = 'pending'"),
            sqlite_where=text("status = 'pending'"),
        ),
        Index("ix_job_instance", "instance_id", "status"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    instance_id: Mapped[str] = mapped_column(ForeignKey("process_instance.id"))
    spiff_task_id: Mapped[str] = mapped_column(String(36))
    element_id: Mapped[str] = mapped_column(String(200))
    topic: Mapped[str] = mapped_column(String(200))
    inputs: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    status: Mapped[str] = mapped_column(String(20), default=JobStatus.PENDING.value)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime())
    locked_by: Mapped[str | None] = mapped_column(String(200))
    locked_until: Mapped[datetime | None] = mapped_column(UTCDateTime())
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class MessageSubscription(Base):
    __tablename__ = "message_subscription"
    __table_args__ = (
        Index("ix_message_subscription_lookup", "message_name", "correlation_key", "status"),
        Index("ix_message_subscription_instance", "instance_id", "status"),
        Index(
            "ix_message_subscription_waiting",
            "created_at",
            postgresql_where=text("status = 'waiting'"),
            sqlite_where=text("status = 'waiting'"),
        ),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    instance_id: Mapped[str] = mapped_column(ForeignKey("process_instance.id"))
    spiff_task_id: Mapped[str] = mapped_column(String(36))
    element_id: Mapped[str] = mapped_column(String(200))
    message_name: Mapped[str] = mapped_column(String(200))
    correlation_key: Mapped[str | None] = mapped_column(String(200))
    status: Mapped[str] = mapped_column(String(20), default=WaitStatus.WAITING.value)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    delivered_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class SignalSubscription(Base):
    """An instance waiting for a signal (an intermediate catch or boundary event): a broadcast
    finds every waiting instance with one indexed query."""

    __tablename__ = "signal_subscription"
    __table_args__ = (
        Index("ix_signal_subscription_lookup", "signal_name", "status"),
        Index("ix_signal_subscription_instance", "instance_id", "status"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    instance_id: Mapped[str] = mapped_column(ForeignKey("process_instance.id"))
    spiff_task_id: Mapped[str] = mapped_column(String(36))
    element_id: Mapped[str] = mapped_column(String(200))
    signal_name: Mapped[str] = mapped_column(String(200))
    status: Mapped[str] = mapped_column(String(20), default=WaitStatus.WAITING.value)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    delivered_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class SignalStart(Base):
    """A signal start event of a deployed version: a broadcast starts the latest version of
    every process that has one for its name."""

    __tablename__ = "signal_start"
    __table_args__ = (Index("ix_signal_start_name", "signal_name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    version_id: Mapped[int] = mapped_column(ForeignKey("process_version.id"), index=True)
    element_id: Mapped[str] = mapped_column(String(200))
    signal_name: Mapped[str] = mapped_column(String(200))


class IncidentStatus(enum.StrEnum):
    OPEN = "open"
    RESOLVED = "resolved"


class Incident(Base):
    __tablename__ = "incident"
    __table_args__ = (Index("ix_incident_open", "instance_id", "status"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    instance_id: Mapped[str] = mapped_column(ForeignKey("process_instance.id"))
    job_id: Mapped[int | None] = mapped_column(ForeignKey("job.id"))
    spiff_task_id: Mapped[str | None] = mapped_column(String(36))
    element_id: Mapped[str | None] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(40))  # job, script, timer, expression
    message: Mapped[str] = mapped_column(Text)
    details: Mapped[str | None] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(20), default=IncidentStatus.OPEN.value)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    resolved_by: Mapped[str | None] = mapped_column(String(200))


class InstanceEvent(Base):
    """Append-only history of one instance."""

    __tablename__ = "instance_event"
    __table_args__ = (Index("ix_instance_event_instance", "instance_id", "id"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    instance_id: Mapped[str] = mapped_column(ForeignKey("process_instance.id"))
    at: Mapped[datetime] = mapped_column(UTCDateTime())
    kind: Mapped[str] = mapped_column(String(40))
    element_id: Mapped[str | None] = mapped_column(String(200))
    task_id: Mapped[str | None] = mapped_column(String(36))
    actor: Mapped[str | None] = mapped_column(String(200))
    details: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


class SchedulerLease(Base):
    """On SQLite only one scheduler may run; it holds this lease and renews it every tick."""

    __tablename__ = "scheduler_lease"

    name: Mapped[str] = mapped_column(String(50), primary_key=True)
    holder: Mapped[str] = mapped_column(String(200))
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())


class InstanceParty(Base):
    """The organisation and group that play a party (a role of the process's catalogue) in one
    instance: candidate groups that name a party resolve to this group."""

    __tablename__ = "instance_party"
    __table_args__ = (Index("ix_instance_party_organisation", "organisation_id", "instance_id"),)

    instance_id: Mapped[str] = mapped_column(ForeignKey("process_instance.id"), primary_key=True)
    party: Mapped[str] = mapped_column(String(100), primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"))
    group_key: Mapped[str] = mapped_column(String(200))

"""Tasks as people and partner systems see them: only their own groups' tasks, and only
the fields the catalogue lets their party write. The engine's service does the work; this
module decides who may ask for it, for the web pages, the API and the command line alike:

- claiming is for oneself; giving a task to someone else (claim for another, reassign) is for
  a team lead of one of the task's candidate groups, and only to an active member of such a
  group (`check_assignee`, which the managers' page uses too);
- completing checks the task's form (required fields, types), the catalogue's write rules
  and the documents the data names before anything is stored, and removes the task's
  drafts."""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import bindparam, delete, select
from sqlalchemy.orm import Session, contains_eager, defer
from sqlalchemy.orm.attributes import set_committed_value

from app import clock
from app.auth.models import Group, GroupMember, Role, User
from app.auth.principal import Principal
from app.cases.sight import check_document_references
from app.catalogue import check_values
from app.db import Database
from app.engine import queries, service
from app.engine.errors import Conflict, Forbidden, InvalidInput, NotFound
from app.engine.models import HumanTask, ProcessInstance, ProcessVersion, TaskStatus
from app.engine.runtime import version_catalogue, version_forms
from app.privacy import access, logs
from app.tasks import forms
from app.tasks.models import TaskDraft, TaskFollowUp

MIN_REASON = 3  # characters of a reason where one is required
TEAM_LEAD = Role.TEAM_LEAD.value


def is_candidate(principal: Principal, task: HumanTask) -> bool:
    if principal.is_system:
        return True
    if principal.kind == "user" and principal.name in (task.candidate_users or []):
        return True
    return bool(principal.groups & set(task.candidate_groups or []))


def may_see(principal: Principal, task: HumanTask) -> bool:
    return is_candidate(principal, task) or (
        principal.kind == "user" and task.assignee == principal.name
    )


def visible_task(session: Session, principal: Principal, task_id: str) -> HumanTask:
    task = session.get(HumanTask, task_id)
    if task is None or not may_see(principal, task):
        raise NotFound(f"taak {task_id} bestaat niet")
    return task


def list_tasks(session: Session, principal: Principal, **filters: Any) -> queries.Page:
    """The tasks this principal may see: those offered to one of its groups, and for a
    person also those assigned to them; everything for the installation itself."""
    if principal.is_system:
        return queries.list_tasks(session, **filters)
    return queries.list_tasks(
        session,
        groups=principal.groups,
        or_assigned_to=principal.name if principal.kind == "user" else None,
        **filters,
    )


def in_team_of(principal: Principal, task: HumanTask) -> bool:
    """Whether the principal belongs to one of the task's candidate groups (the
    installation itself: always); only then may it hand the task out."""
    return principal.is_system or bool(principal.groups & set(task.candidate_groups or []))


def assignable_users(
    session: Session, principal: Principal, task: HumanTask
) -> list[tuple[str, str]]:
    """(username, name) of the people this principal may give the task to: the active
    members of those of the task's candidate groups the principal belongs to (all of them for
    the installation itself), and its named candidate users of the principal's organisation.
    Nobody hands out work beyond their own team."""
    groups = set(task.candidate_groups or [])
    if not principal.is_system:
        groups &= principal.groups
    found: dict[str, str] = {}
    if groups:
        found.update(
            session.execute(
                select(User.username, User.name)
                .join(GroupMember, GroupMember.user_id == User.id)
                .join(Group, Group.id == GroupMember.group_id)
                .where(Group.key.in_(sorted(groups)), User.active.is_(True))
            ).all()
        )
    named = sorted(set(task.candidate_users or []) - set(found))
    if named:
        query = select(User.username, User.name).where(
            User.username.in_(named), User.active.is_(True)
        )
        if not principal.is_system:
            query = query.where(User.organisation_id == principal.organisation_id)
        found.update(session.execute(query).all())
    return sorted(found.items(), key=lambda item: (item[1], item[0]))


def check_assignee(
    session: Session,
    principal: Principal,
    task: HumanTask,
    user: str | None,
    field: str = "medewerker",
) -> None:
    """The one candidate-group check for handing out a task (claim for someone else,
    reassign, release someone else's claim, the managers' page): the principal belongs to
    one of the task's candidate groups (else the task answers as not found), and `user`
    (None: back to the groups) is someone `assignable_users` lists."""
    if not in_team_of(principal, task):
        raise NotFound(f"taak {task.id} bestaat niet")
    if user is not None and user not in dict(assignable_users(session, principal, task)):
        raise InvalidInput(
            f"{user} kan taak '{task.name}' niet krijgen",
            {
                field: [
                    f"{user} hoort niet bij de teams van deze taak "
                    f"({', '.join(task.candidate_groups or []) or 'geen'})"
                ]
            },
        )


def claim(
    db: Database,
    session: Session,
    principal: Principal,
    task_id: str,
    user: str | None,
    reason: str | None,
    secret_key: str,
) -> HumanTask:
    """Claim a task: a person for themselves; for someone else (`user`) only a team lead of
    the task's group, and only for an active member of it."""
    task = visible_task(session, principal, task_id)
    if principal.kind == "user" and user in (None, principal.name):
        if not is_candidate(principal, task):
            raise NotFound(f"taak {task_id} bestaat niet")
        user = principal.name
    else:
        if not user:
            raise InvalidInput(
                "gebruiker ontbreekt", {"user": ["geef op voor wie de taak is (gebruikersnaam)"]}
            )
        if not principal.has_role(TEAM_LEAD):
            raise Forbidden(
                "alleen een teamleider kan een taak aan een ander geven",
                {"user": ["u kunt een taak alleen voor uzelf claimen"]},
            )
        check_assignee(session, principal, task, user, "user")
    result = service.claim_task(session, task.id, user, principal.actor, reason)
    logs.audit(
        db,
        secret_key,
        principal,
        "taak.claimen",
        "taak",
        task_id,
        details={"gebruiker": user, "reden": reason},
    )
    return result


def release(
    db: Database,
    session: Session,
    principal: Principal,
    task_id: str,
    reason: str | None,
    secret_key: str,
) -> HumanTask:
    """Give a task back to its groups. One's own claim needs no reason; a team lead who
    releases someone else's claim does so as a reassignment, with a reason."""
    task = visible_task(session, principal, task_id)
    own = principal.name if principal.kind == "user" else None
    if not principal.is_system and task.assignee not in (None, own):
        if principal.has_role(TEAM_LEAD) and in_team_of(principal, task):
            return reassign(db, session, principal, task_id, None, reason, secret_key)
        raise Conflict(
            f"taak is geclaimd door {task.assignee}; alleen die of een teamleider kan hem vrijgeven"
        )
    result = service.unclaim_task(session, task.id, principal.actor, reason)
    logs.audit(
        db, secret_key, principal, "taak.vrijgeven", "taak", task_id, details={"reden": reason}
    )
    return result


def check_reassign(
    session: Session, principal: Principal, task_id: str, user: str | None, reason: str | None
) -> HumanTask:
    """Refuse a reassignment before anything changes: only a team lead of one of the task's
    groups, always with a reason, and only to someone who may work on the task."""
    if not principal.has_role(TEAM_LEAD):
        raise Forbidden("alleen een teamleider kan taken verdelen")
    task = visible_task(session, principal, task_id)
    if not in_team_of(principal, task):
        raise NotFound(f"taak {task_id} bestaat niet")
    if len((reason or "").strip()) < MIN_REASON:
        raise InvalidInput(
            "reden ontbreekt", {"reden": [f"geef een reden (minstens {MIN_REASON} tekens)"]}
        )
    check_assignee(session, principal, task, user)
    return task


def reassign(
    db: Database,
    session: Session,
    principal: Principal,
    task_id: str,
    user: str | None,
    reason: str | None,
    secret_key: str,
) -> HumanTask:
    """A team lead gives a task to a candidate (or back to the groups, user None)."""
    task = check_reassign(session, principal, task_id, user, reason)
    previous = task.assignee
    clean = (reason or "").strip()
    result = service.assign_task(session, task.id, user, principal.actor, clean)
    logs.audit(
        db,
        secret_key,
        principal,
        "taak.verdelen" if user else "taak.vrijgeven",
        "taak",
        task.id,
        details={"gebruiker": user, "vorige": previous, "reden": clean},
    )
    return result


def delegate(
    db: Database,
    session: Session,
    principal: Principal,
    task_id: str,
    user: str,
    reason: str | None,
    secret_key: str,
) -> HumanTask:
    """The one who holds a task hands it to a colleague who may work on it, with a reason
    (kept in the history and the audit log)."""
    task = visible_task(session, principal, task_id)
    if task.assignee != principal.name:
        raise Conflict("alleen wie de taak op naam heeft, kan hem overdragen")
    clean = (reason or "").strip()
    problems: dict[str, list[str]] = {}
    if len(clean) < MIN_REASON:
        problems["reden"] = [f"geef een reden (minstens {MIN_REASON} tekens)"]
    if not user or user == principal.name:
        problems["collega"] = ["kies een collega"]
    if problems:
        raise InvalidInput("taak niet overgedragen", problems)
    check_assignee(session, principal, task, user, field="collega")
    result = service.assign_task(session, task.id, user, principal.actor, clean)
    logs.audit(
        db,
        secret_key,
        principal,
        "taak.overdragen",
        "taak",
        task.id,
        details={"gebruiker": user, "vorige": principal.name, "reden": clean},
    )
    return result


FOLLOW_UP_DAYS = 366  # a reminder further ahead than a year is no reminder


def set_follow_up(
    session: Session, principal: Principal, task_id: str, day: date | None
) -> TaskFollowUp | None:
    """Set (or with None: clear) the day to follow an open task up; for whoever may work on
    it (its holder, or a member of its teams). Not before today, at most a year ahead."""
    task = visible_task(session, principal, task_id)
    if task.status != TaskStatus.OPEN.value:
        raise Conflict("de taak is niet meer open")
    if task.assignee != principal.name and not in_team_of(principal, task):
        raise Conflict("alleen wie aan de taak werkt, zet een opvolgdatum")
    row = session.get(TaskFollowUp, task.id)
    if day is None:
        if row is not None:
            session.delete(row)
        return None
    today = clock.local(clock.now()).date()
    if day < today:
        raise InvalidInput(
            "opvolgdatum ligt in het verleden", {"opvolgen": ["kies vandaag of later"]}
        )
    if (day - today).days > FOLLOW_UP_DAYS:
        raise InvalidInput("opvolgdatum te ver weg", {"opvolgen": ["hoogstens een jaar vooruit"]})
    if row is None:
        row = TaskFollowUp(
            task_id=task.id, follow_up_on=day, set_by=principal.name, set_at=clock.now()
        )
        session.add(row)
    else:
        row.follow_up_on, row.set_by, row.set_at = day, principal.name, clock.now()
    return row


def follow_ups(session: Session, task_ids: list[str]) -> dict[str, date]:
    """The follow-up day of each of these tasks that has one."""
    if not task_ids:
        return {}
    return {
        task_id: day
        for task_id, day in session.execute(
            select(TaskFollowUp.task_id, TaskFollowUp.follow_up_on).where(
                TaskFollowUp.task_id.in_(task_ids)
            )
        )
    }


def task_form(session: Session, task: HumanTask, version_id: int | None = None) -> dict[str, Any]:
    """The task's form-js schema, as deployed with its process version (`version_id`, read
    from the instance when not given); a task without a form has no fields."""
    if task.form_key:
        if version_id is None:
            version_id = session.scalar(
                select(ProcessInstance.version_id).where(ProcessInstance.id == task.instance_id)
            )
        schema = version_forms(session, version_id).get(task.form_key) if version_id else None
        if schema:
            return schema
    return {"components": []}


def form_values(
    session: Session, task: HumanTask, catalogue: Any, raw: Any, version_id: int | None = None
) -> dict[str, Any]:
    """What a completion of the task may store: the form's required fields and types, then
    the catalogue's rule for each value (with the same words as at the signal door, in place
    of the form's own message). Raises InvalidInput with every problem by field."""
    values, errors = forms.validate(task_form(session, task, version_id), raw)
    if catalogue is not None and isinstance(raw, dict):
        for name, problem in check_values(catalogue.fields, raw).items():
            errors[name] = [problem]
    if errors:
        raise InvalidInput("het formulier is niet goed ingevuld", errors)
    return service.check_data(values)


def complete_for_installation(
    session: Session, task_id: str, data: dict[str, Any], actor: str
) -> ProcessInstance:
    """The installation's own loaders (demo cases, simulations) complete a task with what a
    person could have entered in its form, no more: the same form and catalogue rules as
    `complete`, without a person's access checks. As on the page, the form opens with the
    case's values of its fields (a proposal the person accepts is submitted as shown); `data`
    is what the person changed."""
    task = session.get(HumanTask, task_id)
    if task is None:
        raise NotFound(f"taak {task_id} bestaat niet")
    instance = session.get(ProcessInstance, task.instance_id)
    assert instance is not None
    shown = {
        c["key"]: instance.data[c["key"]]
        for c in forms.components(task_form(session, task))
        if instance.data.get(c["key"]) is not None
    }
    values = form_values(
        session, task, version_catalogue(session, instance.version_id), {**shown, **data}
    )
    return service.complete_task(session, task.id, values, actor)


def remove_drafts_of_closed_tasks(db: Database) -> int:
    """The worker's sweep: drafts of tasks that are no longer open. A completion removes its
    task's drafts itself; this catches the other ways a task closes (a boundary event, a
    message, a migration, a bulk action, the end of the case) and a draft saved in the
    moment a task was being completed. A draft holds personal data nobody will use."""
    closed = (
        select(HumanTask.id)
        .where(HumanTask.id == TaskDraft.task_id, HumanTask.status != TaskStatus.OPEN.value)
        .exists()
    )
    with db.transaction() as session:
        result = session.execute(
            delete(TaskDraft).where(closed).execution_options(synchronize_session=False)
        )
        return result.rowcount or 0


# What completing a task checks before the engine's locked read, in one statement: the task,
# its instance (without the engine's state, which the engine reads under its lock), the
# instance's version (its number only, for the answer) and whether the task has drafts to
# remove (most completions have none; the delete is then left out).
_FOR_COMPLETION = (
    select(
        HumanTask,
        ProcessInstance,
        select(TaskDraft.task_id).where(TaskDraft.task_id == HumanTask.id).exists(),
    )
    .join(ProcessInstance, ProcessInstance.id == HumanTask.instance_id)
    .join(ProcessInstance.version)
    .where(HumanTask.id == bindparam("task_id"))
    .options(
        defer(ProcessInstance.state),
        contains_eager(ProcessInstance.version).load_only(ProcessVersion.version),
    )
)


def complete(
    db: Database,
    session: Session,
    principal: Principal,
    task_id: str,
    data: Any,
    secret_key: str,
) -> ProcessInstance:
    """Complete a task from the page, the API or the command line: the form's required
    fields and types, then the catalogue's write rules and the documents the data names.
    Any refusal comes before anything is stored. The task's drafts go with it."""
    found = session.execute(_FOR_COMPLETION, {"task_id": task_id}).first()
    if found is None or not may_see(principal, found[0]):
        raise NotFound(f"taak {task_id} bestaat niet")
    task, instance, has_draft = found
    if task.status != TaskStatus.OPEN.value:
        raise Conflict(f"taak is al {task.status}")
    if principal.kind == "user" and task.assignee not in (None, principal.name):
        raise Conflict(f"taak is geclaimd door {task.assignee}")
    version = instance.version  # its number only (see _FOR_COMPLETION)
    catalogue = version_catalogue(session, instance.version_id)
    values = form_values(
        session, task, catalogue, {} if data is None else data, instance.version_id
    )
    access.check_writable(catalogue, task.party, instance.phase, values, principal)
    check_document_references(session, principal, instance, values)
    row = service.complete_task(session, task.id, values, principal.actor)
    # The engine's locked read refreshed the instance; the answer shows the version's number,
    # so hand it the version read above instead of a read of its own after the commit.
    set_committed_value(row, "version", version)
    if has_draft:
        session.execute(delete(TaskDraft).where(TaskDraft.task_id == task.id))
    access.record_write(
        db,
        secret_key,
        principal,
        row,
        sorted(values),
        catalogue,
        "taak.afronden",
        f"taak {task.name}",
    )
    return row

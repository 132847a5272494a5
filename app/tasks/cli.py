"""Task commands: list, claim, unclaim, complete."""

from __future__ import annotations

from contextlib import AbstractContextManager

import click
from sqlalchemy.orm import Session

from app.auth.principal import Principal
from app.clikit import Env, echo_json, handle_errors, parse_json, pass_env
from app.engine import queries
from app.engine.schemas import TaskSchema
from app.privacy import logs
from app.tasks import service


@click.group()
def tasks() -> None:
    """Taken voor mensen."""


@tasks.command("list")
@click.option("--group", "candidate_group", help="Alleen taken voor deze groep.")
@click.option("--assignee")
@click.option("--process")
@click.option("--status", default="open", type=click.Choice(["open", "completed", "cancelled"]))
@click.option("--limit", type=int, default=50)
@click.option("--json", "as_json", is_flag=True)
@pass_env
@handle_errors
def tasks_list(
    env: Env,
    candidate_group: str | None,
    assignee: str | None,
    process: str | None,
    status: str,
    limit: int,
    as_json: bool,
) -> None:
    with env.db.session() as session:
        page = queries.list_tasks(
            session,
            status=status,
            candidate_group=candidate_group,
            assignee=assignee,
            process=process,
            limit=limit,
        )
        rows = TaskSchema(many=True).dump(page.items)
    if as_json:
        echo_json(rows)
        return
    for r in rows:
        click.echo(
            f"{r['id']}  {r['name']:<40} {r['process']}  groepen={','.join(r['candidate_groups'])}"
            f"  toegewezen={r['assignee'] or '-'}  deadline={r['due_at'] or '-'}"
        )


@tasks.command("claim")
@click.argument("task_id")
@click.option("--user", required=True, help="Gebruikersnaam van een actief lid van de groep.")
@pass_env
@handle_errors
def tasks_claim(env: Env, task_id: str, user: str) -> None:
    with _operation(env) as (session, principal):
        task = service.claim(
            env.db, session, principal, task_id, user, None, env.settings.secret_key
        )
        click.echo(f"{task.id} toegewezen aan {task.assignee}")


@tasks.command("unclaim")
@click.argument("task_id")
@pass_env
@handle_errors
def tasks_unclaim(env: Env, task_id: str) -> None:
    with _operation(env) as (session, principal):
        task = service.release(env.db, session, principal, task_id, None, env.settings.secret_key)
        click.echo(f"{task.id} vrijgegeven")


@tasks.command("complete")
@click.argument("task_id")
@click.option("--data", help="Formuliergegevens als JSON-object.")
@pass_env
@handle_errors
def tasks_complete(env: Env, task_id: str, data: str | None) -> None:
    with _operation(env) as (session, principal):
        row = service.complete(
            env.db, session, principal, task_id, parse_json(data), env.settings.secret_key
        )
        click.echo(f"{row.id} {row.status}")


def _operation(env: Env) -> AbstractContextManager[tuple[Session, Principal]]:
    return logs.command_operation(env.db, "stroom tasks")

"""Task commands: list, claim, unclaim, complete."""

from __future__ import annotations

import click

from app.clikit import Env, echo_json, handle_errors, parse_json, pass_env
from app.engine import queries, service
from app.engine.schemas import TaskSchema


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
@click.option("--user", required=True)
@pass_env
@handle_errors
def tasks_claim(env: Env, task_id: str, user: str) -> None:
    with env.db.transaction() as session:
        task = service.claim_task(session, task_id, user, "cli")
        click.echo(f"{task.id} toegewezen aan {task.assignee}")


@tasks.command("unclaim")
@click.argument("task_id")
@pass_env
@handle_errors
def tasks_unclaim(env: Env, task_id: str) -> None:
    with env.db.transaction() as session:
        task = service.unclaim_task(session, task_id, "cli")
        click.echo(f"{task.id} vrijgegeven")


@tasks.command("complete")
@click.argument("task_id")
@click.option("--data", help="Formuliergegevens als JSON-object.")
@pass_env
@handle_errors
def tasks_complete(env: Env, task_id: str, data: str | None) -> None:
    with env.db.transaction() as session:
        row = service.complete_task(session, task_id, parse_json(data), "cli")
        click.echo(f"{row.id} {row.status}")

"""Engine commands: instances, incidents, worker, catalogue. (Deploying is publishing, the
modelling domain's: app/modelling/cli.py; messages and signals that bring data into cases
are the cases domain's: app/cases/cli.py.)"""

from __future__ import annotations

from pathlib import Path

import click

from app.clikit import Env, echo_json, handle_errors, pass_env
from app.engine import queries, service
from app.engine.schemas import IncidentSchema, InstanceDetailSchema, InstanceSchema


def register(main: click.Group) -> None:
    for command in (instances, incidents, worker, catalogue):
        main.add_command(command)


@click.group()
def instances() -> None:
    """Procesinstanties."""


@instances.command("list")
@click.option("--process")
@click.option("--status")
@click.option("--key", "business_key")
@click.option("--limit", type=int, default=50)
@click.option("--json", "as_json", is_flag=True)
@pass_env
@handle_errors
def instances_list(
    env: Env,
    process: str | None,
    status: str | None,
    business_key: str | None,
    limit: int,
    as_json: bool,
) -> None:
    with env.db.session() as session:
        page = queries.list_instances(
            session, process=process, status=status, business_key=business_key, limit=limit
        )
        rows = InstanceSchema(many=True).dump(page.items)
    if as_json:
        echo_json(rows)
        return
    for r in rows:
        click.echo(
            f"{r['id']}  {r['process']} v{r['version']}  {r['status']:<10} "
            f"{r['business_key'] or '-'}  {r['started_at']}"
        )


@instances.command("show")
@click.argument("instance_id")
@click.option("--json", "as_json", is_flag=True)
@pass_env
@handle_errors
def instances_show(env: Env, instance_id: str, as_json: bool) -> None:
    with env.db.session() as session:
        data = InstanceDetailSchema().dump(
            queries.instance_details(session, queries.get_instance(session, instance_id))
        )
    if as_json:
        echo_json(data)
        return
    click.echo(
        f"{data['id']} {data['process']} v{data['version']} {data['status']} "
        f"key={data['business_key']}"
    )
    for t in data["tasks"]:
        click.echo(
            f"  taak {t['id']} {t['name']} groepen={','.join(t['candidate_groups'])} "
            f"toegewezen={t['assignee'] or '-'} deadline={t['due_at'] or '-'}"
        )
    for t in data["timers"]:
        if t["status"] == "waiting":
            click.echo(f"  timer {t['element_id']} {t['due_at']}")
    for j in data["jobs"]:
        click.echo(f"  job {j['id']} {j['topic']} {j['status']} pogingen={j['attempts']}")
    for i in data["incidents"]:
        click.echo(f"  incident {i['id']} {i['status']} {i['element_id']}: {i['message']}")
    for e in data["history"]:
        click.echo(f"  {e['at']} {e['kind']} {e['element_id'] or ''} {e['actor'] or ''}")


def _instance_action(name: str, func: object, help_text: str) -> None:
    @instances.command(name, help=help_text)
    @click.argument("instance_id")
    @click.option("--reason", required=True, help="Reden (komt in de geschiedenis).")
    @pass_env
    @handle_errors
    def command(env: Env, instance_id: str, reason: str) -> None:
        with env.db.transaction() as session:
            row = func(session, instance_id, "cli", reason)  # type: ignore[operator]
            click.echo(f"{row.id} {row.status}")


_instance_action("cancel", service.cancel_instance, "Breek een instantie af.")
_instance_action("suspend", service.suspend_instance, "Schort een instantie op.")
_instance_action("resume", service.resume_instance, "Hervat een opgeschorte instantie.")


@click.group()
def incidents() -> None:
    """Incidenten: mislukte jobs, scripts en expressies."""


@incidents.command("list")
@click.option("--all", "show_all", is_flag=True, help="Ook opgeloste incidenten.")
@click.option("--json", "as_json", is_flag=True)
@pass_env
def incidents_list(env: Env, show_all: bool, as_json: bool) -> None:
    from sqlalchemy import select

    from app.engine.models import Incident

    with env.db.session() as session:
        query = select(Incident).order_by(Incident.id)
        if not show_all:
            query = query.where(Incident.status == "open")
        rows = IncidentSchema(many=True).dump(session.scalars(query).all())
    if as_json:
        echo_json(rows)
        return
    for r in rows:
        click.echo(f"{r['id']} {r['status']} {r['instance_id']} {r['element_id']}: {r['message']}")


@incidents.command("retry")
@click.argument("incident_id", type=int)
@click.option("--reason", required=True)
@pass_env
@handle_errors
def incidents_retry(env: Env, incident_id: int, reason: str) -> None:
    """Probeer opnieuw vanaf de plek van het incident."""
    with env.db.transaction() as session:
        row = service.retry_incident(session, incident_id, "cli", reason)
        click.echo(f"{row.id} {row.status}")


@click.command()
@click.option("--once", is_flag=True, help="Eén ronde: alles wat nu klaarstaat, dan stoppen.")
@click.option("--topic", "topics", multiple=True, help="Alleen jobs van deze topics.")
@pass_env
@handle_errors
def worker(env: Env, once: bool, topics: tuple[str, ...]) -> None:
    """Vuur timers af en voer service-taken uit."""
    from app.engine.worker import SchedulerBusy, Worker
    from app.log_config import configure

    configure(env.settings)
    w = Worker(env.db, env.settings, topics=list(topics) or None)
    try:
        if once:
            click.echo(f"verwerkt: {w.tick()}")
            w.release_lease()
        else:
            w.run_forever(
                announce=lambda: click.echo(
                    f"worker {w.worker_id} gestart (tick {env.settings.tick_seconds}s)"
                )
            )
    except SchedulerBusy as exc:
        raise click.ClickException(str(exc)) from exc


@click.group()
def catalogue() -> None:
    """Gegevenscatalogi van diagrammen."""


@catalogue.command("init")
@click.argument("diagram", type=click.Path(exists=True, dir_okay=False))
@click.option("--forms", "forms_dir", type=click.Path(file_okay=False), help="Map met formulieren.")
@click.option("--force", is_flag=True, help="Overschrijf een bestaande catalogus.")
@click.option(
    "--met",
    "others",
    multiple=True,
    type=click.Path(exists=True, dir_okay=False),
    help="Diagram van een proces dat dit proces aanroept (call activity).",
)
@pass_env
@handle_errors
def catalogue_init(
    env: Env, diagram: str, forms_dir: str | None, force: bool, others: tuple[str, ...]
) -> None:
    """Maak een concept-catalogus naast het diagram: elke variabele die het leest of schrijft,
    elke taak zonder partij; de eigenaar vult de rest in (deploy weigert hem tot dan)."""
    from app.engine.draft import draft_to_file

    forms = Path(forms_dir) if forms_dir else env.settings.forms_dir
    target = draft_to_file(Path(diagram), forms, force, [Path(o) for o in others])
    click.echo(f"concept geschreven: {target}")

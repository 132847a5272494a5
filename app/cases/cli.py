"""`stroom settings`: a process's terms and a municipality's own values for them;
`stroom start`, `stroom message` and `stroom signal send`: a case started, or data into the
cases waiting for it, with the API's rules and logged as processing of personal data like
the API's."""

from __future__ import annotations

import click

from app import text_rules
from app.clikit import Env, echo_json, handle_errors, parse_json, parse_vars, pass_env


def _catalogue(session, process: str):  # type: ignore[no-untyped-def]
    from app.engine.runtime import version_catalogue
    from app.engine.service import latest_version

    return version_catalogue(session, latest_version(session, process).id)


@click.group()
def settings() -> None:
    """Termijnen en andere instellingen van een proces, per gemeente."""


@settings.command("list")
@click.argument("process")
@click.option("--municipality", help="Toon de waarden van deze gemeente.")
@click.option("--json", "as_json", is_flag=True)
@pass_env
@handle_errors
def settings_list(env: Env, process: str, municipality: str | None, as_json: bool) -> None:
    from app.cases.settings import value

    with env.db.session() as session:
        catalogue = _catalogue(session, process)
        rows = [
            {
                "naam": name,
                "waarde": value(session, catalogue, process, municipality, name),
                "standaard": spec["waarde"],
                "omschrijving": spec["omschrijving"],
                "bron": spec.get("bron"),
            }
            for name, spec in catalogue.settings.items()
        ]
    if as_json:
        echo_json(rows)
        return
    for r in rows:
        own = "" if r["waarde"] == r["standaard"] else f" (standaard {r['standaard']})"
        click.echo(f"{r['naam']:<36} {r['waarde']!s:<10}{own}  {r['omschrijving']}")


@settings.command("set")
@click.argument("process")
@click.argument("name")
@click.argument("new_value")
@click.option("--municipality", required=True)
@pass_env
@handle_errors
def settings_set(env: Env, process: str, name: str, new_value: str, municipality: str) -> None:
    """Geef NAME in MUNICIPALITY de waarde NEW_VALUE (JSON: 5, true, "tekst")."""
    from app.cases.settings import set_value

    try:
        parsed = text_rules.parse_json(new_value)
    except ValueError:
        parsed = new_value
    problems = text_rules.json_problems(parsed)
    if problems:
        raise click.BadParameter(next(iter(problems.values()))[0], param_hint="NEW_VALUE")
    with env.db.transaction() as session:
        set_value(session, _catalogue(session, process), process, municipality, name, parsed, "cli")
    click.echo(f"{process} in {municipality}: {name} = {parsed!r}")


def _as_api(schema, given: dict, what: str) -> dict:  # type: ignore[no-untyped-def,type-arg]
    """Command-line input held to the API's schema for the same fields (lengths, kinds),
    refused with its Dutch messages before anything is stored."""
    from marshmallow import ValidationError

    from app.engine.errors import InvalidInput
    from app.validation_messages import in_dutch

    try:
        return schema.load({k: v for k, v in given.items() if v is not None})
    except ValidationError as error:  # said by handle_errors, as the API's 422s
        raise InvalidInput(what, in_dutch(error.normalized_messages())) from error


def _record_entered(env: Env, session, principal, row, values, action: str, purpose: str) -> None:  # type: ignore[no-untyped-def]
    """The processing-log and audit line of data a command brought into a case."""
    from app.cases.service import record_entered

    secret = env.settings.secret_key
    record_entered(env.db, session, secret, principal, row, values, action, purpose)


@click.command()
@click.argument("process")
@click.option("--key", "business_key", help="Business key (bijv. zaaknummer).")
@click.option("--data", help="Startgegevens als JSON-object.")
@click.option("--municipality", help="Gemeente van de zaak (standaard die van het proces).")
@pass_env
@handle_errors
def start(
    env: Env, process: str, business_key: str | None, data: str | None, municipality: str | None
) -> None:
    """Start een zaak van PROCESS, zoals de API dat doet (partijen, documenten, logboek)."""
    from app.cases.service import start_case
    from app.engine.schemas import StartSchema
    from app.privacy.logs import command_operation

    given = {"business_key": business_key, "data": parse_json(data), "municipality": municipality}
    body = _as_api(StartSchema(), given, "ongeldige start")
    values = body.get("data")
    with command_operation(env.db, "stroom start") as (session, principal):
        row = start_case(
            session,
            principal,
            process,
            business_key=body.get("business_key"),
            data=values,
            municipality=body.get("municipality"),
        )
        _record_entered(env, session, principal, row, values, "zaak.starten", f"start {process}")
        said = f"{row.id} {row.status}"
    click.echo(said)  # once committed


@click.command()
@click.argument("name")
@click.option("--key", "correlation_key", required=True, help="Correlatiesleutel.")
@click.option("--data", help="Berichtgegevens als JSON-object.")
@pass_env
@handle_errors
def message(env: Env, name: str, correlation_key: str, data: str | None) -> None:
    """Lever bericht NAME af bij de instantie die erop wacht."""
    from app.cases.service import send_message
    from app.engine.schemas import MessageSchema
    from app.privacy.logs import command_operation

    given = {"name": name, "correlation_key": correlation_key, "data": parse_json(data)}
    body = _as_api(MessageSchema(), given, "ongeldig bericht")
    values = body["data"]
    with command_operation(env.db, "stroom message") as (session, principal):
        row = send_message(session, principal, name, correlation_key, values)
        action, purpose = "bericht.afleveren", f"bericht {name}"
        _record_entered(env, session, principal, row, values, action, purpose)
        said = f"{row.id} {row.status}"
    click.echo(said)  # once committed


@click.group()
def signal() -> None:
    """BPMN-signalen (broadcast aan wachtende instanties); meldingen van partners: signals."""


@signal.command("send")
@click.argument("name")
@click.option(
    "--var",
    "variables",
    multiple=True,
    metavar="NAAM=WAARDE",
    help="Een variabele voor de ontvangers (waarde als JSON als dat kan, anders tekst); "
    "herhaalbaar.",
)
@pass_env
@handle_errors
def signal_send(env: Env, name: str, variables: tuple[str, ...]) -> None:
    """Stuur signaal NAME: elke wachtende instantie ontvangt het, en elk proces met een
    signaalstart voor NAME start (de nieuwste versie)."""
    from app.cases.service import record_signal
    from app.engine.schemas import BpmnSignalSchema
    from app.engine.signals import broadcast
    from app.privacy.logs import command_operation

    data = _as_api(
        BpmnSignalSchema(), {"name": name, "data": parse_vars(variables)}, "ongeldig signaal"
    )["data"]
    with command_operation(env.db, "stroom signal send") as (session, principal):
        result = broadcast(session, name, data, principal.actor)
        record_signal(env.db, session, env.settings.secret_key, principal, result, data, name)
    click.echo(f"ontvangen: {len(result.received)}, gestart: {len(result.started)}")
    for instance_id in result.received:
        click.echo(f"  ontvangen {instance_id}")
    for instance_id in result.started:
        click.echo(f"  gestart {instance_id}")
    for instance_id in result.refused:
        click.echo(f"  geweigerd (zaak te groot, incident geopend) {instance_id}")

"""`stroom settings`: a process's terms and a municipality's own values for them."""

from __future__ import annotations

import click

from app import text_rules
from app.clikit import Env, echo_json, handle_errors, pass_env


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

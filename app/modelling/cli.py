"""`stroom element-templates`: the handlers as Camunda element templates, for the desktop
Camunda Modeler (save the file in its `resources/element-templates/` folder). `stroom export`:
a published version back into files, before a `stroom deploy` from the server's files."""

from __future__ import annotations

import json
from pathlib import Path

import click

from app.clikit import Env, handle_errors, pass_env
from app.modelling.templates import element_templates


@click.command("element-templates")
@click.option(
    "--output", "-o", type=click.Path(dir_okay=False, writable=True), help="Schrijf naar bestand."
)
def templates(output: str | None) -> None:
    """Elementsjablonen (Camunda 7) voor de service-taken van Stroom, als JSON."""
    text = json.dumps(element_templates(), ensure_ascii=False, indent=2) + "\n"
    if output:
        with open(output, "w", encoding="utf-8") as file:
            file.write(text)
        click.echo(f"{len(element_templates())} sjablonen geschreven naar {output}", err=True)
    else:
        click.echo(text, nl=False)


@click.command("export")
@click.argument("process")
@click.option("--version", "number", type=int, help="Versienummer (standaard de nieuwste).")
@click.option(
    "--to",
    "target",
    type=click.Path(file_okay=False),
    help="Map voor diagram en catalogus (standaard bpmn/); formulieren gaan naar de "
    "formulierenmap (of <map>/forms met --to).",
)
@pass_env
@handle_errors
def export(env: Env, process: str, number: int | None, target: str | None) -> None:
    """Schrijf een gepubliceerde versie (diagram, catalogus, formulieren) terug naar bestanden,
    zodat `stroom deploy` een wijziging uit de browser of de API niet terugdraait."""
    from sqlalchemy import select

    from app.engine.models import ProcessDefinition, ProcessVersion
    from app.modelling.files import version_files

    with env.db.session() as session:
        query = (
            select(ProcessVersion).join(ProcessDefinition).where(ProcessDefinition.key == process)
        )
        if number is not None:
            query = query.where(ProcessVersion.version == number)
        version = session.scalar(query.order_by(ProcessVersion.version.desc()).limit(1))
        if version is None:
            raise click.ClickException(
                f"proces {process!r}" + (f" versie {number}" if number else "") + " bestaat niet"
            )
        diagrams = Path(target) if target else env.settings.bpmn_dir
        forms = diagrams / "forms" if target else env.settings.forms_dir
        written = version_files(session, version, diagrams, forms, env.settings.bpmn_dir)
    for path, state in written:
        click.echo(f"{state}: {path}")
    click.echo(f"{process} versie {version.version} staat in de bestanden")

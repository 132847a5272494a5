"""`stroom element-templates`: the handlers as Camunda element templates, for the desktop
Camunda Modeler (save the file in its `resources/element-templates/` folder). `stroom export`:
a published version back into files, before a `stroom deploy` from the server's files.
`stroom deploy`: publish diagrams, catalogues and forms from files, with the same four eyes
on a catalogue that widens reading as the browser and the API."""

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


@click.command()
@click.argument("paths", nargs=-1, type=click.Path())
@click.option("--forms", "forms_dir", type=click.Path(file_okay=False), help="Map met formulieren.")
@click.option(
    "--overwrite",
    is_flag=True,
    help="Publiceer ook over een versie die in de browser of via de API is gepubliceerd.",
)
@pass_env
@handle_errors
def deploy(env: Env, paths: tuple[str, ...], forms_dir: str | None, overwrite: bool) -> None:
    """Valideer diagrammen en sla gewijzigde processen op als nieuwe versie (standaard bpmn/).

    Een catalogus die meer leesrecht op persoonsgegevens geeft dan de nieuwste versie wacht,
    net als in de browser en via de API, op de privacyfunctionaris."""
    from app.engine.deploy import deploy as do_deploy
    from app.engine.deploy import replaced_publications

    targets = list(paths) or [str(env.settings.bpmn_dir)]
    held = _held_catalogues(env, targets)
    if held:
        raise click.ClickException(
            "niets gepubliceerd: " + "\n".join(held) + "\nDe privacyfunctionaris ziet het "
            "verzoek onder Privacy → Goedkeuringen; publiceer opnieuw zodra het is goedgekeurd."
        )
    with env.db.transaction() as session:
        result = do_deploy(
            session, targets, Path(forms_dir) if forms_dir else env.settings.forms_dir, actor="cli"
        )
        overwritten = [] if overwrite else replaced_publications(session, result.created)
        if overwritten:  # raising inside the transaction rolls the new versions back
            raise click.ClickException(
                "niets gepubliceerd: de bestanden zouden wijzigingen terugdraaien die daarna "
                "in de browser of via de API zijn gepubliceerd:\n"
                + "\n".join(overwritten)
                + "\nHaal die versie eerst op (`stroom export PROCES`) en neem haar over in de "
                "bestanden, of publiceer bewust eroverheen met --overwrite."
            )
    for key, number in result.created:
        click.echo(f"nieuw: {key} versie {number}")
    for key, number in result.unchanged:
        click.echo(f"ongewijzigd: {key} versie {number}")


def _held_catalogues(env: Env, targets: list[str]) -> list[str]:
    """The catalogues beside the diagrams that widen who may read personal data without the
    privacy officer's approval of that very text: the four eyes hold for the command line
    as for the browser and the API (their requests made, committed and audited)."""
    from app.catalogue import catalogue_path
    from app.engine.deploy import bpmn_files
    from app.modelling import catalogue as edit
    from app.privacy.logs import command_operation

    texts = []
    for diagram in bpmn_files(targets):
        file = catalogue_path(diagram)
        try:
            texts.append((str(file), file.read_text("utf-8")))
        except (OSError, UnicodeDecodeError):
            continue  # deploy reports what is wrong with it
    with command_operation(env.db, "deploy") as (session, principal):
        held = edit.hold_texts(session, texts, principal.actor)
        for _name, one in held:
            if one.new_request:
                edit.audit_request(env.db, env.settings.secret_key, principal, one, "cli")
    return [f"{name}: {edit.held_message(one)}" for name, one in held]

"""`stroom element-templates`: the handlers as Camunda element templates, for the desktop
Camunda Modeler (save the file in its `resources/element-templates/` folder)."""

from __future__ import annotations

import json

import click

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

"""`stroom demo`: a database with the processes deployed and example cases in several states.

The installation's own staff first (app/demo_data/common.py), then each process package's
demo loader (app/plugins.py), on an up-to-date schema.
"""

from __future__ import annotations

from collections.abc import Callable

import click

from app.clikit import Env, handle_errors, pass_env
from app.config import Settings
from app.db import Database

Loader = Callable[[Database, Settings], list[str]]


@click.command()
@pass_env
@handle_errors
def demo(env: Env) -> None:
    """Schema bijwerken, processen deployen en voorbeeldgegevens laden (idempotent)."""
    from app import plugins
    from app.demo_data import common
    from app.engine.deploy import deploy, replaced_publications
    from app.migrate import upgrade

    upgrade(env.settings.database_url)
    if any(env.settings.bpmn_dir.glob("*.bpmn")):
        with env.db.transaction() as session:
            result = deploy(session, [env.settings.bpmn_dir], env.settings.forms_dir, actor="demo")
            kept = replaced_publications(session, result.created)
            if kept:  # never undo what a process owner published in the browser or the API
                session.rollback()
                click.echo(
                    "processen niet opnieuw gedeployed: de bestanden zouden deze versies "
                    "terugdraaien (haal ze op met `stroom export PROCES`):\n" + "\n".join(kept)
                )
                result.created = []
        for key, number in result.created:
            click.echo(f"gedeployed: {key} versie {number}")
    loaders: list[Loader] = [common.load, *(load for _p, load in plugins.offered("demo"))]
    for loader in loaders:
        for line in loader(env.db, env.settings):
            click.echo(line)

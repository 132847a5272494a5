"""`stroom demo`: a database with the processes deployed and example cases in several states.

Each domain adds a loader to LOADERS; they run in order on an up-to-date schema.
"""

from __future__ import annotations

from collections.abc import Callable

import click

from app.cli import Env, handle_errors, pass_env
from app.config import Settings
from app.db import Database

Loader = Callable[[Database, Settings], list[str]]
# "module:function" names, imported and run in this order.
LOADERS: list[str] = [
    "app.demo_data.common:load",
    "app.demo_data.haarlem:load",
    "app.demo_data.utrecht:load",
    "app.demo_data.weert:load",
    "app.demo_data.diemen:load",
    "app.demo_data.hollands_kroon:load",
]


@click.command()
@pass_env
@handle_errors
def demo(env: Env) -> None:
    """Schema bijwerken, processen deployen en voorbeeldgegevens laden (idempotent)."""
    import importlib

    from app.engine.deploy import deploy
    from app.migrate import upgrade

    upgrade(env.settings.database_url)
    if any(env.settings.bpmn_dir.glob("*.bpmn")):
        with env.db.transaction() as session:
            result = deploy(session, [env.settings.bpmn_dir], env.settings.forms_dir, actor="demo")
        for key, number in result.created:
            click.echo(f"gedeployed: {key} versie {number}")
    for name in LOADERS:
        module, func = name.split(":")
        loader: Loader = getattr(importlib.import_module(module), func)
        for line in loader(env.db, env.settings):
            click.echo(line)

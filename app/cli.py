"""The `stroom` command line, assembled: each domain's commands, then each process package's.

Shared pieces (context, errors, JSON, renamed names) are in app/clikit.py.
"""

from __future__ import annotations

import click

from app.clikit import Env, Group, pass_env, refuse_hostile_arguments
from app.config import Settings


class _Main(Group):
    """The root group. Process packages' commands join when a command is first looked up
    (after STROOM_PROCESS_PATHS is read), so a package is picked up without edits here."""

    def _with_packages(self) -> None:
        from app import plugins

        plugins.use_paths(Settings().process_paths)
        for package, command in plugins.offered("cli"):
            name = package.key.replace("_", "-")
            if name not in self.commands:
                self.add_command(command, name)
                self.renamed.update(package.package.cli_renamed)

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        refuse_hostile_arguments(ctx, args)
        return super().parse_args(ctx, args)

    def resolve_command(
        self, ctx: click.Context, args: list[str]
    ) -> tuple[str | None, click.Command | None, list[str]]:
        self._with_packages()
        return super().resolve_command(ctx, args)

    def list_commands(self, ctx: click.Context) -> list[str]:
        self._with_packages()
        return super().list_commands(ctx)


@click.group(
    cls=_Main,
    renamed={
        "signalen": "signals",
        "werkdagen": "workdays",
        "bewaartermijnen": "retention",
    },
)
@click.option(
    "--database", envvar="STROOM_DATABASE_URL", help="Database-URL (standaard SQLite in instance/)."
)
@click.pass_context
def main(ctx: click.Context, database: str | None) -> None:
    """Stroom: vroegsignalering huurschulden en preventie huisuitzetting."""
    from app import assembly

    assembly.install()
    settings = Settings(database_url=database) if database else Settings()
    ctx.obj = Env(settings)


@main.group(cls=Group)
def db() -> None:
    """Databaseschema."""


@db.command("upgrade")
@pass_env
def db_upgrade(env: Env) -> None:
    """Breng de database naar het nieuwste schema (maakt tabellen aan op een lege database)."""
    from app.migrate import current, upgrade

    upgrade(env.settings.database_url)
    click.echo(f"database op revisie {current(env.settings.database_url)}")


@db.command("init")
@click.pass_context
def db_init(ctx: click.Context) -> None:
    """Hetzelfde als `db upgrade`: maak het schema aan."""
    ctx.invoke(db_upgrade)


def _register() -> None:
    from app.auth.cli import binding, groups, organisations, token, users
    from app.calendar.cli import workdays
    from app.cases.cli import message, settings, signal, start
    from app.demo import demo
    from app.engine.cli import register as register_engine
    from app.intake.cli import signals
    from app.modelling.cli import deploy, export, templates
    from app.privacy.cli import retention
    from app.serve import serve
    from app.simulation.cli import simulate
    from app.tasks.cli import tasks

    register_engine(main)
    for command in (deploy, tasks, token, organisations, groups, users, binding, serve, demo):
        main.add_command(command)
    for command in (simulate, signals, workdays, settings, retention, templates, export):
        main.add_command(command)
    for command in (start, message, signal):
        main.add_command(command)


_register()

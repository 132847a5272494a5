"""The `stroom` command line. Domain packages add their own command groups here."""

from __future__ import annotations

import functools
import json
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import click

from app import text_rules
from app.config import Settings
from app.db import Database
from app.engine.errors import DeploymentError, EngineError


@dataclass
class Env:
    settings: Settings
    _db: Database | None = field(default=None, repr=False)

    @property
    def db(self) -> Database:
        if self._db is None:
            self._db = Database(self.settings.database_url)
        return self._db


pass_env = click.make_pass_decorator(Env)


def handle_errors(func: Callable[..., Any]) -> Callable[..., Any]:
    """Engine errors become a clear message on stderr and exit status 1, never a traceback."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except DeploymentError as exc:
            for problem in exc.problems:
                click.echo(f"fout: {problem}", err=True)
            sys.exit(1)
        except EngineError as exc:
            click.echo(f"fout: {exc.message}", err=True)
            for name, messages in exc.fields.items():
                click.echo(f"  {name}: {'; '.join(map(str, messages))}", err=True)
            sys.exit(1)

    return wrapper


def parse_json(value: str | None, what: str = "--data") -> dict[str, Any]:
    if not value:
        return {}
    try:
        data = text_rules.parse_json(value)
        problems = text_rules.json_problems(data)
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint=what) from exc
    if problems:
        name, reasons = next(iter(problems.items()))
        raise click.BadParameter(f"{name}: {reasons[0]}", param_hint=what)
    if not isinstance(data, dict):
        raise click.BadParameter("moet een JSON-object zijn", param_hint=what)
    return data


def echo_json(value: Any) -> None:
    # Stored before the doors refused them, lone surrogates print as U+FFFD, not a crash.
    click.echo(text_rules.readable(json.dumps(value, indent=2, default=str, ensure_ascii=False)))


class StroomGroup(click.Group):
    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        # The command line is a door too (app/text_rules.py): an argument with bytes that
        # are no UTF-8 arrives with lone surrogates, which no database or output can hold.
        for position, arg in enumerate(args, start=1):
            reason = text_rules.problem(arg)
            if reason:
                raise click.UsageError(f"argument {position} {reason}", ctx)
        return super().parse_args(ctx, args)


@click.group(cls=StroomGroup)
@click.option(
    "--database", envvar="STROOM_DATABASE_URL", help="Database-URL (standaard SQLite in instance/)."
)
@click.pass_context
def main(ctx: click.Context, database: str | None) -> None:
    """Stroom: vroegsignalering huurschulden en preventie huisuitzetting."""
    settings = Settings(database_url=database) if database else Settings()
    ctx.obj = Env(settings)


@main.group()
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
    from app.calendar.cli import werkdagen
    from app.cases.cli import settings
    from app.demo import demo
    from app.engine.cli import register as register_engine
    from app.intake.cli import signalen
    from app.privacy.cli import bewaartermijnen
    from app.processes.haarlem_cli import haarlem_statistieken
    from app.processes.weert_cli import weert_group
    from app.serve import serve
    from app.simulation.cli import simulate
    from app.tasks.cli import tasks

    register_engine(main)
    main.add_command(tasks)
    main.add_command(token)
    for command in (organisations, groups, users, binding):
        main.add_command(command)
    main.add_command(serve)
    main.add_command(demo)
    main.add_command(simulate)
    main.add_command(signalen)
    main.add_command(werkdagen)
    main.add_command(settings)
    main.add_command(haarlem_statistieken)
    main.add_command(bewaartermijnen)
    main.add_command(weert_group)


_register()

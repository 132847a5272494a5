"""What every `stroom` command shares: its context (settings, database), clear errors instead of
tracebacks, JSON in and out, and last version's names kept working for one version.

Commands and options are named in English, like the code; help texts are in Dutch. A renamed
command or option is listed in `renamed=` of its group or command (`Group`, `Command`): the old
name still works and prints one line saying what it is called now.
"""

from __future__ import annotations

import functools
import json
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
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


def parse_vars(items: tuple[str, ...], what: str = "--var") -> dict[str, Any]:
    """NAAM=WAARDE pairs: the value as JSON when it is JSON (850, true, "tekst"), else text."""
    data: dict[str, Any] = {}
    for item in items:
        key, sep, raw = item.partition("=")
        if not sep or not key.strip():
            raise click.BadParameter(f"{item!r} is geen NAAM=WAARDE", param_hint=what)
        try:
            data[key.strip()] = text_rules.parse_json(raw)
        except ValueError:
            data[key.strip()] = raw
    problems = text_rules.json_problems(data)
    if problems:
        name, reasons = next(iter(problems.items()))
        raise click.BadParameter(f"{name}: {reasons[0]}", param_hint=what)
    return data


def echo_json(value: Any) -> None:
    # Stored before the doors refused them, lone surrogates print as U+FFFD, not a crash.
    click.echo(text_rules.readable(json.dumps(value, indent=2, default=str, ensure_ascii=False)))


def refuse_hostile_arguments(ctx: click.Context, args: list[str]) -> None:
    """The command line is a door too (app/text_rules.py): an argument with bytes that are no
    UTF-8 arrives with lone surrogates, which no database or output can hold."""
    for position, arg in enumerate(args, start=1):
        reason = text_rules.problem(arg)
        if reason:
            raise click.UsageError(f"argument {position} {reason}", ctx)


def _renamed(old: str, new: str) -> None:
    click.echo(
        f"let op: `{old}` heet nu `{new}`; de oude naam verdwijnt in de volgende versie",
        err=True,
    )


class Command(click.Command):
    """A command that still accepts last version's option names (`renamed={old: new}`)."""

    def __init__(self, *args: Any, renamed: dict[str, str] | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.renamed = dict(renamed or {})

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        return super().parse_args(ctx, _rename_options(self.renamed, args))


class Group(click.Group):
    """A group that still accepts last version's command names (`renamed={old: new}`, where
    new may be a path such as "proces report") and option names."""

    command_class = Command

    def __init__(
        self,
        *args: Any,
        renamed: dict[str, str] | None = None,
        renamed_options: dict[str, str] | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.renamed = dict(renamed or {})
        self.renamed_options = dict(renamed_options or {})

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        return super().parse_args(ctx, _rename_options(self.renamed_options, args))

    def resolve_command(
        self, ctx: click.Context, args: list[str]
    ) -> tuple[str | None, click.Command | None, list[str]]:
        if args and args[0] in self.renamed:
            new = self.renamed[args[0]]
            _renamed(args[0], new)
            args = new.split() + args[1:]
        return super().resolve_command(ctx, args)


Group.group_class = Group


def _rename_options(renamed: dict[str, str], args: list[str]) -> list[str]:
    if not renamed:
        return args
    result = []
    for arg in args:
        if arg == "--":
            result.extend(args[len(result) :])
            break
        name, eq, value = arg.partition("=")
        if name in renamed:
            _renamed(name, renamed[name])
            arg = renamed[name] + eq + value
        result.append(arg)
    return result


@contextmanager
def progress(length: int, label: str) -> Iterator[Callable[[int], None]]:
    """A progress bar on stderr while long work runs, when stderr is a terminal (a script or
    a log gets only the summary); yields `advance(n)`."""
    if not sys.stderr.isatty():
        yield lambda _n: None
        return
    with click.progressbar(
        length=max(length, 1), label=label, file=sys.stderr, show_pos=True, show_eta=True
    ) as bar:
        yield bar.update


def took(started: float) -> str:
    """'in 12,3 s' since `started` (time.perf_counter()), for the summary line."""
    seconds = time.perf_counter() - started
    return f"in {seconds:.1f} s".replace(".", ",")

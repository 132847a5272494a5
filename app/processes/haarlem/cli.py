"""`stroom haarlem statistics`: the art. 9.5 figures of the Haarlem covenant, from the cases.

Only counts are printed (bijlage 1 art. 2.1b: policy evaluation with anonymous data).
"""

from __future__ import annotations

from dataclasses import asdict
from datetime import date

import click

from app.clikit import Command, Env, Group, echo_json, pass_env


def _day(_ctx: click.Context, param: click.Parameter, value: str | None) -> date | None:
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError as exc:
        raise click.BadParameter("gebruik JJJJ-MM-DD", param=param) from exc


@click.group(cls=Group)
def group() -> None:
    """Convenant Preventie huisuitzettingen Haarlem."""


@group.command(
    "statistics",
    cls=Command,
    renamed={"--gemeente": "--municipality", "--van": "--from", "--tot": "--to"},
)
@click.option("--municipality", default="haarlem", show_default=True)
@click.option("--from", "van", callback=_day, help="Eerste dag van de periode (JJJJ-MM-DD).")
@click.option("--to", "tot", callback=_day, help="Laatste dag van de periode (JJJJ-MM-DD).")
@click.option("--json", "as_json", is_flag=True, help="Als JSON.")
@pass_env
def statistics(
    env: Env, municipality: str, van: date | None, tot: date | None, as_json: bool
) -> None:
    """Cijfers van art. 9.5 van het Convenant Preventie huisuitzettingen (Haarlem)."""
    from app.processes.haarlem.statistics import statistieken

    with env.db.session() as session:
        figures = statistieken(session, municipality, van, tot)
    if as_json:
        echo_json(asdict(figures))
        return
    period = f"{van or 'begin'} t/m {tot or 'nu'}"
    click.echo(f"# art. 9.5 convenant preventie huisuitzettingen, {municipality}, {period}")
    for label, count in figures.regels():
        click.echo(f"{label}: {count}")

"""`stroom weert ...`: the return overview of stap 4, AMW's list and objections, from the
command line. The commands act as a worker of the team bound to the municipality's party
(`--namens`, default the administratie's team), so what they show and send is exactly what
that team may, and every read is in the processing log.

    stroom weert retouroverzicht --corporatie wonen-limburg --maand 2026-03 [--versturen] [--csv]
    stroom weert amw-lijst --maand 2026-04 [--csv]
    stroom weert bezwaar WEE-2026-03-00001
"""

from __future__ import annotations

import re
import sys

import click
from sqlalchemy import select

from app.cli import Env, handle_errors, pass_env


def _month(_ctx: click.Context, param: click.Parameter, value: str) -> str:
    from app.processes.weert import PERIOD_PATTERN

    if not re.match(PERIOD_PATTERN, value or ""):
        raise click.BadParameter("gebruik JJJJ-MM, bijvoorbeeld 2026-03", param=param)
    return value


def _principal(env: Env, party: str):  # type: ignore[no-untyped-def]
    from app.cases.models import PartyBinding
    from app.processes import weert

    with env.db.session() as session:
        group = session.scalar(
            select(PartyBinding.group_key).where(
                PartyBinding.process_key == weert.PROCESS,
                PartyBinding.municipality == weert.MUNICIPALITY,
                PartyBinding.party == party,
            )
        )
        if group is None:
            raise click.ClickException(
                f"geen team gekoppeld aan partij {party!r} van {weert.PROCESS}"
            )
        return weert.team_principal(session, group, f"cli namens {group}")


def _begin() -> None:
    from app.privacy import context

    context.begin("cli", "stroom weert")


_NAMENS = click.option(
    "--namens",
    type=click.Choice(["administratie", "sdv", "amw"]),
    default="administratie",
    show_default=True,
    help="Partij van het proces waarvoor de opdracht handelt (haar gekoppelde team).",
)


@click.group("weert")
def weert_group() -> None:
    """Vroegsignalering huurschulden Weert: retouroverzicht, AMW-lijst en bezwaar."""


@weert_group.command("retouroverzicht")
@click.option("--corporatie", required=True, help="Sleutel van de corporatie, bijv. wonen-limburg.")
@click.option("--maand", required=True, callback=_month, help="Maand van het maandoverzicht.")
@click.option("--versturen", is_flag=True, help="Verstuur wat klaarstaat (idempotent).")
@click.option("--csv", "as_csv", is_flag=True, help="Het overzicht als CSV op stdout.")
@_NAMENS
@pass_env
@handle_errors
def retouroverzicht(
    env: Env, corporatie: str, maand: str, versturen: bool, as_csv: bool, namens: str
) -> None:
    """Toon (en verstuur met --versturen) het retouroverzicht van een corporatie."""
    from app.exports import to_csv
    from app.processes import weert_overviews as views

    _begin()
    principal = _principal(env, namens)
    if versturen:
        result = views.send(env.db, principal, corporatie, maand, env.settings.secret_key)
        click.echo(result.message, err=as_csv)
        for key in result.overview.skipped:
            click.echo(f"niet verstuurd (wachtte niet meer): {key}", err=True)
    with env.db.session() as session:
        doc = views.overview_document(
            env.db, session, principal, corporatie, maand, env.settings.secret_key
        )
    labels, rows = doc.table()
    if as_csv:
        sys.stdout.buffer.write(to_csv(labels, rows))
        sys.stdout.flush()
        return
    summary = doc.summary()
    sent = summary.get("verstuurd_op")
    click.echo(
        f"Retouroverzicht {doc.corporation_name} {maand}: "
        + (f"verstuurd {sent:%d-%m-%Y %H:%M}" if sent else "nog niet verstuurd")
        + f", te versturen {summary.get('te_versturen', 0)}"
        + f", in verrijking of selectie {summary.get('in_behandeling', 0)}"
        + (" (TE LAAT)" if summary.get("te_laat") else "")
    )
    click.echo("\t".join(labels))
    for row in rows:
        click.echo("\t".join("" if v is None else str(v) for v in row))


@weert_group.command("amw-lijst")
@click.option("--maand", required=True, callback=_month, help="Maand waarin AMW de lijst kreeg.")
@click.option("--csv", "as_csv", is_flag=True, help="De lijst als CSV op stdout.")
@_NAMENS
@pass_env
@handle_errors
def amw_lijst(env: Env, maand: str, as_csv: bool, namens: str) -> None:
    """Toon de AMW-lijst van een maand (gezinnen met minderjarige kinderen eerst)."""
    from app.exports import to_csv
    from app.processes import weert_overviews as views

    _begin()
    principal = _principal(env, namens)
    with env.db.session() as session:
        doc = views.amw_document(env.db, session, principal, maand, env.settings.secret_key)
    labels, rows = doc.table()
    if as_csv:
        sys.stdout.buffer.write(to_csv(labels, rows))
        sys.stdout.flush()
        return
    click.echo(f"AMW-lijst {maand}: {len(rows)} huurders")
    click.echo("\t".join(labels))
    for row in rows:
        click.echo("\t".join("" if v is None else str(v) for v in row))


@weert_group.command("bezwaar")
@click.argument("kenmerk")
@click.option(
    "--namens",
    type=click.Choice(["administratie", "sdv"]),
    default="administratie",
    show_default=True,
)
@pass_env
@handle_errors
def bezwaar(env: Env, kenmerk: str, namens: str) -> None:
    """Leg vast dat de huurder van zaak KENMERK bezwaar maakt tegen AMW (art. 10.4)."""
    from app.processes import weert

    _begin()
    principal = _principal(env, namens)
    weert.object_to_amw(env.db, principal, kenmerk, env.settings.secret_key)
    click.echo(f"bezwaar tegen AMW vastgelegd voor zaak {kenmerk}")

"""`stroom weert ...`: the return overview of stap 4, AMW's list and objections, from the
command line. The commands act as a worker of the team bound to the municipality's party
(`--on-behalf-of`, default the administratie's team), so what they show and send is exactly what
that team may, and every read is in the processing log.

    stroom weert return-overview --corporation wonen-limburg --month 2026-03 [--send] [--csv]
    stroom weert amw-list --month 2026-04 [--csv]
    stroom weert objection WEE-2026-03-00001
    stroom weert results --from 2026-01 --to 2026-12 [--json] [--csv]
"""

from __future__ import annotations

import re
import sys

import click
from sqlalchemy import select

from app.clikit import Env, Group, echo_json, handle_errors, pass_env


def _month(_ctx: click.Context, param: click.Parameter, value: str) -> str:
    from app.processes.weert.service import PERIOD_PATTERN

    if not re.match(PERIOD_PATTERN, value or ""):
        raise click.BadParameter("gebruik JJJJ-MM, bijvoorbeeld 2026-03", param=param)
    return value


def _principal(env: Env, party: str):  # type: ignore[no-untyped-def]
    from app.cases.models import PartyBinding
    from app.processes.weert import service as weert

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


_ON_BEHALF_OF = click.option(
    "--on-behalf-of",
    "party",
    type=click.Choice(["administratie", "sdv", "amw"]),
    default="administratie",
    show_default=True,
    help="Partij van het proces waarvoor de opdracht handelt (haar gekoppelde team).",
)


_RENAMED = {
    "--corporatie": "--corporation",
    "--maand": "--month",
    "--versturen": "--send",
    "--namens": "--on-behalf-of",
}


@click.group(
    "weert",
    cls=Group,
    renamed={
        "retouroverzicht": "return-overview",
        "amw-lijst": "amw-list",
        "bezwaar": "objection",
    },
)
def group() -> None:
    """Vroegsignalering huurschulden Weert: retouroverzicht, AMW-lijst en bezwaar."""


@group.command("return-overview", renamed=_RENAMED)
@click.option(
    "--corporation", required=True, help="Sleutel van de corporatie, bijv. wonen-limburg."
)
@click.option("--month", required=True, callback=_month, help="Maand van het maandoverzicht.")
@click.option("--send", is_flag=True, help="Verstuur wat klaarstaat (idempotent).")
@click.option("--csv", "as_csv", is_flag=True, help="Het overzicht als CSV op stdout.")
@_ON_BEHALF_OF
@pass_env
@handle_errors
def return_overview(
    env: Env, corporation: str, month: str, send: bool, as_csv: bool, party: str
) -> None:
    """Toon (en verstuur met --send) het retouroverzicht van een corporatie."""
    from app.exports import to_csv
    from app.processes.weert import overviews as views

    _begin()
    principal = _principal(env, party)
    if send:
        result = views.send(env.db, principal, corporation, month, env.settings.secret_key)
        click.echo(result.message, err=as_csv)
        for key in result.overview.skipped:
            click.echo(f"niet verstuurd (wachtte niet meer): {key}", err=True)
    with env.db.session() as session:
        doc = views.overview_document(
            env.db, session, principal, corporation, month, env.settings.secret_key
        )
    labels, rows = doc.table()
    if as_csv:
        sys.stdout.buffer.write(to_csv(labels, rows))
        sys.stdout.flush()
        return
    summary = doc.summary()
    sent = summary.get("verstuurd_op")
    click.echo(
        f"Retouroverzicht {doc.corporation_name} {month}: "
        + (f"verstuurd {sent:%d-%m-%Y %H:%M}" if sent else "nog niet verstuurd")
        + f", te versturen {summary.get('te_versturen', 0)}"
        + f", in verrijking of selectie {summary.get('in_behandeling', 0)}"
        + (" (TE LAAT)" if summary.get("te_laat") else "")
    )
    click.echo("\t".join(labels))
    for row in rows:
        click.echo("\t".join("" if v is None else str(v) for v in row))


@group.command("amw-list", renamed=_RENAMED)
@click.option("--month", required=True, callback=_month, help="Maand waarin AMW de lijst kreeg.")
@click.option("--csv", "as_csv", is_flag=True, help="De lijst als CSV op stdout.")
@_ON_BEHALF_OF
@pass_env
@handle_errors
def amw_list(env: Env, month: str, as_csv: bool, party: str) -> None:
    """Toon de AMW-lijst van een maand (gezinnen met minderjarige kinderen eerst)."""
    from app.exports import to_csv
    from app.processes.weert import overviews as views

    _begin()
    principal = _principal(env, party)
    with env.db.session() as session:
        doc = views.amw_document(env.db, session, principal, month, env.settings.secret_key)
    labels, rows = doc.table()
    if as_csv:
        sys.stdout.buffer.write(to_csv(labels, rows))
        sys.stdout.flush()
        return
    click.echo(f"AMW-lijst {month}: {len(rows)} huurders")
    click.echo("\t".join(labels))
    for row in rows:
        click.echo("\t".join("" if v is None else str(v) for v in row))


@group.command("objection", renamed=_RENAMED)
@click.argument("case_key", metavar="KEY")
@click.option(
    "--on-behalf-of",
    "party",
    type=click.Choice(["administratie", "sdv"]),
    default="administratie",
    show_default=True,
)
@pass_env
@handle_errors
def objection(env: Env, case_key: str, party: str) -> None:
    """Leg vast dat de huurder van zaak KEY bezwaar maakt tegen AMW (art. 10.4)."""
    from app.processes.weert import service as weert

    _begin()
    principal = _principal(env, party)
    weert.object_to_amw(env.db, principal, case_key, env.settings.secret_key)
    click.echo(f"bezwaar tegen AMW vastgelegd voor zaak {case_key}")


def _optional_month(ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
    return None if value is None else _month(ctx, param, value)


@group.command("results")
@click.option("--municipality", default="weert", show_default=True)
@click.option("--from", "van", callback=_optional_month, help="Eerste overzichtsmaand (JJJJ-MM).")
@click.option("--to", "tot", callback=_optional_month, help="Laatste overzichtsmaand (JJJJ-MM).")
@click.option("--json", "as_json", is_flag=True, help="Als JSON.")
@click.option("--csv", "as_csv", is_flag=True, help="Als CSV (cijfer per regel).")
@pass_env
def results(
    env: Env, municipality: str, van: str | None, tot: str | None, as_json: bool, as_csv: bool
) -> None:
    """Resultaten voor de periodieke bespreking met de convenantpartners (alleen aantallen)."""
    from dataclasses import asdict

    from app.exports import to_csv
    from app.processes.weert.results import resultaten

    with env.db.session() as session:
        figures = resultaten(session, municipality, van, tot)
    if as_json:
        echo_json({**asdict(figures), "signalen": figures.signalen})
        return
    if as_csv:
        sys.stdout.buffer.write(
            to_csv(["Resultaat", "Aantal"], [list(r) for r in figures.regels()])
        )
        return
    period = f"{van or 'begin'} t/m {tot or 'nu'}"
    click.echo(f"# resultaten vroegsignalering huurschulden {municipality}, {period}")
    for label, count in figures.regels():
        click.echo(f"{label}: {count}")

"""`stroom signals import FILE --partner ORG`: a batch of signals from a partner's file."""

from __future__ import annotations

import time
from pathlib import Path

import click

from app.clikit import (
    Command,
    Env,
    Group,
    echo_json,
    handle_errors,
    pass_env,
    progress,
    took,
)


@click.group(cls=Group)
def signals() -> None:
    """Meldingen (signalen) van partners."""


@signals.command("import", cls=Command, renamed={"--gemeente": "--municipality"})
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--partner", required=True, help="Sleutel van de melder (organisatie).")
@click.option("--municipality", help="Gemeente, als de partner in meer gemeenten meldt.")
@click.option("--json", "as_json", is_flag=True, help="Resultaat als JSON.")
@pass_env
@handle_errors
def import_command(
    env: Env, file: Path, partner: str, municipality: str | None, as_json: bool
) -> None:
    """Lees FILE (CSV of XLSX) in: geldige rijen worden opgeslagen, elke afgewezen rij wordt
    gemeld met rij, veld en probleem. Twee keer inlezen voegt niets toe."""
    from app.auth import service as auth
    from app.auth.principal import Principal
    from app.intake.batches import import_file
    from app.intake.files import FileProblem
    from app.privacy import context

    context.begin("cli", f"bestand {file.name}")
    with env.db.session() as session:
        org = auth.organisation(session, partner)
        # The partner reports; the operator running the command is in the audit line.
        principal = Principal(
            "user",
            None,
            f"cli namens {org.key}",
            organisation_id=org.id,
            organisation_key=org.key,
            municipality=org.municipality,
        )
    content = file.read_bytes()
    started = time.perf_counter()
    try:
        with progress(content.count(b"\n"), "inlezen") as advance:
            batch = import_file(
                env.db,
                principal,
                file.name,
                content,
                env.settings.secret_key,
                municipality,
                progress=advance,
            )
    except FileProblem as exc:
        raise click.ClickException(f"{file.name}: {exc}") from exc
    summary = {
        "batch": batch.id,
        "rijen": batch.rows_total,
        "opgeslagen": batch.rows_stored,
        "dubbel": batch.rows_duplicate,
        "afgewezen": batch.rows_rejected,
        "bezwaar": batch.rows_objected,
        "fouten": batch.errors,
    }
    if as_json:
        echo_json(summary)
        return
    click.echo(
        f"batch {batch.id}: {batch.rows_total} rijen, {batch.rows_stored} opgeslagen, "
        f"{batch.rows_duplicate} dubbel, {batch.rows_rejected} afgewezen, "
        f"{batch.rows_objected} met bezwaar (niet opgeslagen), {took(started)}"
    )
    for error in batch.errors:
        click.echo(f"  rij {error['rij']}: {error['veld']}: {error['probleem']}")

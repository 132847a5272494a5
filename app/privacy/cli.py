"""`stroom retention`: remove what finished cases may no longer keep."""

from __future__ import annotations

import time

import click

from app.clikit import Command, Env, echo_json, handle_errors, pass_env, progress, took


@click.command("retention", cls=Command, renamed={"--droog": "--dry-run"})
@click.option("--dry-run", is_flag=True, help="Alleen tonen wat zou worden gewist.")
@click.option("--json", "as_json", is_flag=True)
@pass_env
@handle_errors
def retention(env: Env, dry_run: bool, as_json: bool) -> None:
    """Wis de velden van afgesloten zaken waarvan de bewaartermijn is verstreken (de worker
    doet dit elk uur). Toont per zaak welke velden (namen, geen waarden)."""
    from app.privacy.retention import apply, due

    started = time.perf_counter()
    cases = due(env.db)
    with progress(len(cases), "bewaartermijnen") as advance:
        results = apply(
            env.db, dry_run=dry_run, cases=cases, progress=lambda _done, _all: advance(1)
        )
    if as_json:
        echo_json(
            [
                {
                    "instantie": r.instance_id,
                    "kenmerk": r.business_key,
                    "velden": r.fields,
                    "alles": r.everything,
                }
                for r in results
            ]
        )
        return
    verb = "zou wissen" if dry_run else "gewist"
    for r in results:
        label = r.business_key or r.instance_id
        click.echo(
            f"{label}: {verb}: {', '.join(r.fields) or '-'}{' (alles)' if r.everything else ''}"
        )
    click.echo(f"zaken: {len(results)}, {took(started)}")

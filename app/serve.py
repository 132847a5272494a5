"""`stroom serve`: the web application, with the worker in-process by default.

In production run the web (gunicorn, see deploy/) and `stroom worker` as separate processes;
on SQLite the in-process worker is the one scheduler allowed.
"""

from __future__ import annotations

import logging

import click

from app.cli import Env, pass_env


@click.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, show_default=True, type=int)
@click.option(
    "--worker/--no-worker",
    default=True,
    show_default=True,
    help="Timers en service-taken in hetzelfde proces afhandelen.",
)
@click.option("--threads", default=8, show_default=True, type=int)
@pass_env
def serve(env: Env, host: str, port: int, worker: bool, threads: int) -> None:
    """Start de webapplicatie."""
    from waitress import serve as waitress_serve

    from app.web import create_app

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    app = create_app(env.settings, env.db)
    scheduler = None
    if worker:
        from app.engine.worker import SchedulerBusy, Worker

        try:
            scheduler = Worker(env.db, env.settings).start_background()
        except SchedulerBusy as exc:
            raise click.ClickException(str(exc)) from exc
    click.echo(f"Stroom draait op http://{host}:{port}/")
    try:
        waitress_serve(app, host=host, port=port, threads=threads, ident="stroom")
    finally:
        if scheduler is not None:
            scheduler.shutdown(wait=False)

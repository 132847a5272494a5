"""`stroom serve`: the web application, with the worker in-process by default.

In production run the web (gunicorn, see deploy/) and `stroom worker` as separate processes;
on SQLite the in-process worker is the one scheduler allowed.
"""

from __future__ import annotations

import logging
import signal
import sys

import click

from app.clikit import Env, pass_env

log = logging.getLogger(__name__)


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

    from app.log_config import configure
    from app.web import create_app

    configure(env.settings)
    app = create_app(env.settings, env.db)
    scheduler = background = None
    if worker:
        from app.engine.worker import SchedulerBusy, Worker

        background = Worker(env.db, env.settings)
        try:
            scheduler = background.start_background()
        except SchedulerBusy as exc:
            raise click.ClickException(str(exc)) from exc
    # SIGTERM (docker stop, kill) ends the server like Ctrl-C does, through the finally
    # below: the in-process worker gives its lease back, so a restart need not wait for it.
    try:
        signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
        click.echo(f"Stroom draait op http://{host}:{port}/")
        log.info(
            "stroom serve gestart op http://%s:%s/ (%s)",
            host,
            port,
            "met worker" if worker else "zonder worker",
        )
        waitress_serve(app, host=host, port=port, threads=threads, ident="stroom")
    finally:
        if scheduler is not None and background is not None:
            scheduler.shutdown(wait=True)
            background.release_lease()
        log.info("stroom serve gestopt")

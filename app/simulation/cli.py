"""`stroom simulate SCENARIO`: play a scenario on a virtual clock and print the timeline."""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

import click

from app.clikit import Command, Env, pass_env, progress, took


@click.command(cls=Command, renamed={"--stil": "--quiet"})
@click.argument("scenario_file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "--database",
    "database_url",
    help="Database voor de simulatie (standaard een tijdelijke SQLite-database).",
)
@click.option("--quiet", is_flag=True, help="Geen tijdlijn, alleen de samenvatting.")
@pass_env
def simulate(env: Env, scenario_file: Path, database_url: str | None, quiet: bool) -> None:
    """Speel SCENARIO af op een virtuele klok en druk de tijdlijn af."""
    from app.clock import VirtualClock, set_clock
    from app.config import Settings
    from app.db import Database
    from app.engine.deploy import deploy
    from app.engine.errors import DeploymentError
    from app.migrate import upgrade
    from app.simulation.report import summary
    from app.simulation.runner import Simulation, format_timeline
    from app.simulation.scenario import ScenarioError, load, play

    try:
        scenario = load(scenario_file)
    except ScenarioError as exc:
        raise click.ClickException(str(exc)) from exc
    with tempfile.TemporaryDirectory() as tmp:
        url = database_url or f"sqlite:///{tmp}/simulatie.db"
        settings = Settings(
            database_url=url,
            bpmn_dir=env.settings.bpmn_dir,
            forms_dir=scenario.forms or env.settings.forms_dir,
        )
        upgrade(url)
        db = Database(url)
        clock = VirtualClock(scenario.begin)
        previous = set_clock(clock)
        try:
            try:
                with db.transaction() as session:
                    deploy(
                        session,
                        scenario.diagrams or [settings.bpmn_dir],
                        settings.forms_dir,
                        actor="simulatie",
                    )
            except DeploymentError as exc:
                raise click.ClickException(f"diagrammen niet te deployen:\n{exc}") from exc
            sim = Simulation(db, settings, clock, seed=scenario.seed)
            for generator in scenario.generators:
                from app.simulation.generators import install

                install(sim, generator)
            started = time.perf_counter()
            try:
                with progress(len(scenario.steps), "simulatie") as advance:
                    failures = play(scenario, sim, str(scenario_file), progress=advance)
            except ScenarioError as exc:
                raise click.ClickException(str(exc)) from exc
            click.echo(f"# {scenario.name} (gespeeld {took(started)})")
            if not quiet:
                for line in format_timeline(sim.timeline, sim.notes):
                    click.echo(line)
            for line in summary(sim):
                click.echo(line)
            for failure in failures:
                click.echo(f"NIET VOLDAAN: {failure}", err=True)
        finally:
            set_clock(previous)
            db.dispose()
    if failures:
        sys.exit(1)

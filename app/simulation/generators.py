"""Generators of work for `stroom simulate`: signals that arrive on their own, month after month.

A scenario names them under `generatoren:` by their `soort`; process packages offer them
(`ProcessPackage.generators`, see app/plugins.py). A generator is a hook with a
`next_due(sim)`, so moving the clock stops at the moments it has work, like timers and jobs.
"""

from __future__ import annotations

from typing import Any

from app.simulation.runner import Simulation


class GeneratorError(ValueError):
    pass


def install(sim: Simulation, spec: dict[str, Any]) -> Any:
    """Hook the generator `spec["soort"]` into the simulation; returns it."""
    from app.plugins import generators

    known = generators()
    kind = str((spec or {}).get("soort", ""))
    if kind not in known:
        raise GeneratorError(f"onbekende generator {kind!r} (bekend: {', '.join(sorted(known))})")
    generator = known[kind](sim, spec)
    sim.add_hook(generator)
    return generator

"""Which implementation answers for each external system, chosen by settings.

    from app.registers import factory
    factory.brp().personen({...})

Adapters are built once per process and shared (the BRP client keeps a connection pool and
its OAuth2 token). Another implementation plugs in with `register_adapter`, e.g. the
creditors' list read from Stroom's own signal store:

    factory.register_adapter("schuldeisers", "signalen", lambda s: SignaalSchuldeisers(db))

and is then selected with STROOM_SCHULDEISERS_ADAPTER=signalen.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from app.registers.brp.embedded import EmbeddedBrp
from app.registers.brp.protocol import BrpRegister
from app.registers.errors import ConfigurationError
from app.registers.schuldeisers import EmbeddedSchuldeisers, SchuldeisersRegister
from app.registers.schuldhulp import EmbeddedSchuldhulp, SchuldhulpRegister
from app.registers.settings import EMBEDDED, RegisterSettings, load_register_settings
from app.registers.uitkering import EmbeddedUitkering, UitkeringRegister

Builder = Callable[[RegisterSettings], Any]
SYSTEMS = ("brp", "uitkering", "schuldhulp", "schuldeisers")


def _haalcentraal(settings: RegisterSettings) -> BrpRegister:
    # Imported here so the embedded registers work without the HTTP client installed.
    from app.registers.brp.client import HaalCentraalBrpClient

    return HaalCentraalBrpClient(settings.brp)


_builders: dict[str, dict[str, Builder]] = {
    "brp": {EMBEDDED: lambda s: EmbeddedBrp(s.testdata), "haalcentraal": _haalcentraal},
    "uitkering": {EMBEDDED: lambda s: EmbeddedUitkering(s.testdata)},
    "schuldhulp": {EMBEDDED: lambda s: EmbeddedSchuldhulp(s.testdata)},
    "schuldeisers": {EMBEDDED: lambda s: EmbeddedSchuldeisers(s.testdata)},
}
_instances: dict[str, Any] = {}
_settings: RegisterSettings | None = None
_lock = threading.RLock()


def settings() -> RegisterSettings:
    global _settings
    with _lock:
        if _settings is None:
            _settings = load_register_settings()
        return _settings


def register_adapter(system: str, name: str, builder: Builder) -> None:
    """Make another implementation selectable by STROOM_<SYSTEM>_ADAPTER=<name>."""
    if system not in _builders:
        raise ValueError(f"onbekend systeem {system!r}")
    with _lock:
        _builders[system][name.lower()] = builder
        _instances.pop(system, None)


def adapters(system: str) -> list[str]:
    return sorted(_builders[system])


def get(system: str) -> Any:
    with _lock:
        if system not in _instances:
            current = settings()
            name = current.adapter(system)
            builder = _builders[system].get(name)
            if builder is None:
                raise ConfigurationError(
                    f"STROOM_{system.upper()}_ADAPTER={name!r} bestaat niet "
                    f"(wel: {', '.join(adapters(system))})"
                )
            _instances[system] = builder(current)
        return _instances[system]


def brp() -> BrpRegister:
    return get("brp")  # type: ignore[no-any-return]


def uitkering() -> UitkeringRegister:
    return get("uitkering")  # type: ignore[no-any-return]


def schuldhulp() -> SchuldhulpRegister:
    return get("schuldhulp")  # type: ignore[no-any-return]


def schuldeisers() -> SchuldeisersRegister:
    return get("schuldeisers")  # type: ignore[no-any-return]


def check() -> list[str]:
    """Build every adapter once; the configuration problems found (empty when fine).
    Meant for start-up of the worker, so a wrong setting shows before the first job."""
    problems: list[str] = []
    for system in SYSTEMS:
        try:
            get(system)
        except ConfigurationError as exc:
            problems.append(str(exc))
    return problems


def reset(new_settings: RegisterSettings | None = None) -> None:
    """Forget built adapters (closing HTTP clients) and, optionally, install settings."""
    global _settings
    with _lock:
        for instance in _instances.values():
            close = getattr(instance, "close", None)
            if callable(close):
                close()
        _instances.clear()
        _settings = new_settings


@contextmanager
def override(system: str, instance: Any) -> Iterator[Any]:
    """Use `instance` for `system` inside the block (tests, simulations)."""
    with _lock:
        previous = _instances.get(system)
        _instances[system] = instance
    try:
        yield instance
    finally:
        with _lock:
            if previous is None:
                _instances.pop(system, None)
            else:
                _instances[system] = previous

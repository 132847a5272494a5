"""Settings of the registers (enrichment adapters), read from the environment.

Kept apart from `app.config.Settings` so the adapters can be configured and tested on their
own; every variable has the prefix STROOM_ plus the system (BRP_, UITKERING_, ...).
Without any variable set, every register is the embedded test register.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from app.registers.errors import ConfigurationError

DEFAULT_TESTDATA = Path(__file__).resolve().parent / "data" / "testpersonen.json"
EMBEDDED = "embedded"


def _get(env: Mapping[str, str], name: str, default: str = "") -> str:
    return env.get(f"STROOM_{name}", default).strip()


def _optional(env: Mapping[str, str], name: str) -> str | None:
    return _get(env, name) or None


def _float(env: Mapping[str, str], name: str, default: float) -> float:
    raw = _get(env, name)
    if not raw:
        return default
    try:
        value = float(raw)
    except ValueError as exc:
        raise ConfigurationError(f"STROOM_{name} moet een getal zijn, niet {raw!r}") from exc
    if value <= 0:
        raise ConfigurationError(f"STROOM_{name} moet groter dan 0 zijn")
    return value


@dataclass(frozen=True)
class BrpSettings:
    """The Haal Centraal BRP Personen Bevragen client (used when adapter = 'haalcentraal')."""

    # e.g. https://proefomgeving.haalcentraal.nl/haalcentraal/api/brp (no trailing /personen)
    base_url: str | None = None
    api_key: str | None = None
    api_key_header: str = "X-API-KEY"
    oauth_token_url: str | None = None
    oauth_client_id: str | None = None
    oauth_client_secret: str | None = field(default=None, repr=False)
    oauth_scope: str | None = None
    # How the client authenticates at the token endpoint (RFC 6749 2.3.1): basic | post
    oauth_client_auth: str = "basic"
    client_cert: str | None = None
    client_key: str | None = None
    ca_bundle: str | None = None
    timeout_seconds: float = 10.0
    connect_timeout_seconds: float = 5.0

    @property
    def uses_oauth(self) -> bool:
        return bool(self.oauth_token_url)


@dataclass(frozen=True)
class RegisterSettings:
    brp_adapter: str = EMBEDDED
    uitkering_adapter: str = EMBEDDED
    schuldhulp_adapter: str = EMBEDDED
    schuldeisers_adapter: str = EMBEDDED
    testdata: Path = DEFAULT_TESTDATA
    brp: BrpSettings = field(default_factory=BrpSettings)

    def adapter(self, system: str) -> str:
        return str(getattr(self, f"{system}_adapter"))


def load_register_settings(env: Mapping[str, str] | None = None) -> RegisterSettings:
    env = os.environ if env is None else env
    brp = BrpSettings(
        base_url=_optional(env, "BRP_BASE_URL"),
        api_key=_optional(env, "BRP_API_KEY"),
        api_key_header=_get(env, "BRP_API_KEY_HEADER", "X-API-KEY"),
        oauth_token_url=_optional(env, "BRP_OAUTH_TOKEN_URL"),
        oauth_client_id=_optional(env, "BRP_OAUTH_CLIENT_ID"),
        oauth_client_secret=_optional(env, "BRP_OAUTH_CLIENT_SECRET"),
        oauth_scope=_optional(env, "BRP_OAUTH_SCOPE"),
        oauth_client_auth=_get(env, "BRP_OAUTH_CLIENT_AUTH", "basic").lower(),
        client_cert=_optional(env, "BRP_CLIENT_CERT"),
        client_key=_optional(env, "BRP_CLIENT_KEY"),
        ca_bundle=_optional(env, "BRP_CA_BUNDLE"),
        timeout_seconds=_float(env, "BRP_TIMEOUT", 10.0),
        connect_timeout_seconds=_float(env, "BRP_CONNECT_TIMEOUT", 5.0),
    )
    testdata = _get(env, "REGISTERS_TESTDATA")
    return RegisterSettings(
        brp_adapter=_get(env, "BRP_ADAPTER", EMBEDDED).lower(),
        uitkering_adapter=_get(env, "UITKERING_ADAPTER", EMBEDDED).lower(),
        schuldhulp_adapter=_get(env, "SCHULDHULP_ADAPTER", EMBEDDED).lower(),
        schuldeisers_adapter=_get(env, "SCHULDEISERS_ADAPTER", EMBEDDED).lower(),
        testdata=Path(testdata) if testdata else DEFAULT_TESTDATA,
        brp=brp,
    )

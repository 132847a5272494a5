"""Fixtures for the register tests: the fake BRP server and a clean adapter factory.

No database: these tests never use the `db` fixture.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from app.registers import factory
from app.registers.settings import BrpSettings, RegisterSettings
from tests.fakes.brp_server import FakeBrp, brp_server  # noqa: F401 - the fixture

API_KEY = "test-sleutel"


@pytest.fixture
def embedded() -> Iterator[RegisterSettings]:
    """Every register on the embedded test data, whatever the environment says."""
    settings = RegisterSettings()
    factory.reset(settings)
    yield settings
    factory.reset()


@pytest.fixture
def real_brp(brp_server: FakeBrp) -> Iterator[FakeBrp]:  # noqa: F811
    """The factory's BRP is the real HTTP client, pointed at the fake server (API key)."""
    factory.reset(
        RegisterSettings(
            brp_adapter="haalcentraal",
            brp=BrpSettings(base_url=brp_server.base_url, api_key=API_KEY, timeout_seconds=5),
        )
    )
    yield brp_server
    factory.reset()

"""Fixtures for the process-monitoring tests: the application with the `manage` pages,
organisations and people in each role, and a scenario with one case per kind of trouble."""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest

from tests.manage.support import Scenario, build_scenario
from tests.support.web import log_in


@pytest.fixture
def settings(settings):  # type: ignore[no-untyped-def]
    # Operators (beheerder) log in with a second factor by default; these tests are about
    # the pages behind the login, not about TOTP (tests/auth covers that).
    return dataclasses.replace(settings, totp_roles=frozenset())


@pytest.fixture
def scenario(db, clock, settings) -> Scenario:
    return build_scenario(db, clock, settings)


@pytest.fixture
def login(app):  # type: ignore[no-untyped-def]
    """login("mia") -> a test client logged in as mia."""

    def make(username: str) -> Any:
        return log_in(app.test_client(), username)

    return make

"""Password hashing parameters (issue 17): argon2-cffi's RFC 9106 defaults unless the cheap
test parameters are asked for, and those only together with the test flag, so a copied
environment variable cannot weaken the hashes of a real installation."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
from argon2 import extract_parameters
from argon2.profiles import get_default_parameters

from app.auth import passwords
from app.config import ROOT
from tests.support.orgs import PASSWORD

COST = "STROOM_PASSWORD_HASH_COST"
FLAG = "STROOM_TEST_SUITE"


def test_the_default_is_the_rfc_9106_profile_of_argon2_cffi() -> None:
    assert passwords.hash_parameters({}) == get_default_parameters()
    assert passwords.hash_parameters({COST: "standaard"}) == get_default_parameters()
    assert get_default_parameters().memory_cost == 64 * 1024  # RFC 9106 low-memory: 64 MiB


def test_the_test_cost_is_used_only_when_asked_for_with_the_test_flag() -> None:
    cheap = passwords.hash_parameters({COST: "test", FLAG: "1"})
    assert cheap.memory_cost < get_default_parameters().memory_cost
    assert cheap.time_cost == 1 and cheap.type == get_default_parameters().type
    with pytest.raises(RuntimeError, match=FLAG):
        passwords.hash_parameters({COST: "test"})
    with pytest.raises(RuntimeError, match="standaard, test"):
        passwords.hash_parameters({COST: "goedkoop", FLAG: "1"})


def test_this_suite_hashes_with_the_test_cost() -> None:
    assert os.environ[COST] == "test"  # set at the top of tests/conftest.py
    assert extract_parameters(passwords.hash_password(PASSWORD)) == passwords.hash_parameters(
        os.environ
    )


def _parameters_in_a_fresh_process(**env: str) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if k not in (COST, FLAG)}
    return subprocess.run(
        [
            sys.executable,
            "-c",
            "from argon2 import extract_parameters; from app.auth import passwords; "
            "print(extract_parameters(passwords.hash_password('Lang-Genoeg-Wachtwoord')))",
        ],
        env={**clean, **env},
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_a_process_without_the_settings_hashes_with_the_defaults() -> None:
    done = _parameters_in_a_fresh_process()
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == str(get_default_parameters())


def test_a_process_with_only_the_cost_setting_refuses_to_start() -> None:
    done = _parameters_in_a_fresh_process(**{COST: "test"})
    assert done.returncode != 0 and FLAG in done.stderr

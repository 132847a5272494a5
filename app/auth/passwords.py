"""Password hashing with argon2id (argon2-cffi's defaults follow RFC 9106).

STROOM_PASSWORD_HASH_COST=test selects cheap parameters for the test suite, and only together
with STROOM_TEST_SUITE=1; anything else refuses to start, so a copied variable cannot weaken
the hashes of a real installation. Hashes made with other parameters than the current ones are
rehashed at the next login.
"""

from __future__ import annotations

import dataclasses
import os
import secrets
from collections.abc import Mapping
from functools import cache

from argon2 import Parameters, PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from argon2.profiles import get_default_parameters

MIN_LENGTH = 12
COST_VARIABLE = "STROOM_PASSWORD_HASH_COST"
TEST_FLAG = "STROOM_TEST_SUITE"


def hash_parameters(environ: Mapping[str, str]) -> Parameters:
    cost = environ.get(COST_VARIABLE, "standaard")
    if cost == "standaard":
        return get_default_parameters()
    if cost == "test":
        if environ.get(TEST_FLAG) != "1":
            raise RuntimeError(
                f"{COST_VARIABLE}=test maakt wachtwoord-hashes zwak en mag alleen in de "
                f"testsuite: zet dan ook {TEST_FLAG}=1"
            )
        # The least argon2 allows (memory is 8 KiB per lane), at the default's type and lengths.
        return dataclasses.replace(
            get_default_parameters(), time_cost=1, memory_cost=8, parallelism=1
        )
    raise RuntimeError(f"{COST_VARIABLE}={cost!r} is onbekend; kies uit: standaard, test")


_hasher = PasswordHasher.from_parameters(hash_parameters(os.environ))


class WeakPassword(ValueError):
    pass


def hash_password(password: str) -> str:
    check_strength(password)
    return _hasher.hash(password)


def rehash(password: str) -> str:
    """A new hash of a password that was just verified (no strength check: an older, weaker
    password must not stop its owner from logging in)."""
    return _hasher.hash(password)


@cache
def _dummy_hash() -> str:
    """A hash nobody knows the password of, with the parameters of real hashes: verifying
    against it costs what a real check costs."""
    return _hasher.hash(secrets.token_urlsafe(32))


def prepare() -> None:
    """Make the dummy hash when the web application starts, so that no login is the one
    that pays for it."""
    _dummy_hash()


def verify_password(stored: str | None, password: str) -> bool:
    """Always exactly one argon2 verification, also without a stored hash (unknown user, no
    password set), so the time taken does not reveal which it was."""
    try:
        return _hasher.verify(stored or _dummy_hash(), password) and bool(stored)
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(stored: str) -> bool:
    return _hasher.check_needs_rehash(stored)


def check_strength(password: str) -> None:
    if len(password) < MIN_LENGTH:
        raise WeakPassword(f"wachtwoord moet minstens {MIN_LENGTH} tekens hebben")
    if password.lower() == password or password.upper() == password:
        raise WeakPassword("wachtwoord moet hoofd- en kleine letters bevatten")

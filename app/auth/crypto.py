"""Keys derived from the application secret: encryption of stored secrets (TOTP seeds) and
keyed pseudonyms for the processing log."""

from __future__ import annotations

import base64
import hashlib
import hmac
from functools import lru_cache

from cryptography.fernet import Fernet, InvalidToken


def _derive(secret: str, purpose: str) -> bytes:
    return hmac.new(secret.encode(), purpose.encode(), hashlib.sha256).digest()


@lru_cache(maxsize=8)
def _fernet(secret: str) -> Fernet:
    return Fernet(base64.urlsafe_b64encode(_derive(secret, "stroom/secrets/v1")))


def encrypt(secret: str, value: str) -> str:
    return _fernet(secret).encrypt(value.encode()).decode()


def decrypt(secret: str, token: str) -> str:
    try:
        return _fernet(secret).decrypt(token.encode()).decode()
    except InvalidToken as exc:
        raise ValueError("versleutelde waarde kan niet worden gelezen (andere sleutel?)") from exc


def pseudonym(secret: str, kind: str, value: str) -> str:
    """The same subject always gets the same pseudonym under one key, and the value cannot be
    recovered from it (Logboek Dataverwerkingen asks for a protected data subject id)."""
    key = _derive(secret, "stroom/pseudonym/v1")
    return hmac.new(key, f"{kind}:{value}".encode(), hashlib.sha256).hexdigest()

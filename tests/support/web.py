"""Logging in through the real login page with the Flask test client."""

from __future__ import annotations

import re
from typing import Any

from tests.support.orgs import PASSWORD


def csrf_token(client: Any, path: str = "/inloggen") -> str:
    page = client.get(path).get_data(as_text=True)
    match = re.search(r'name="csrf_token" value="([^"]+)"', page) or re.search(
        r'name="csrf-token" content="([^"]+)"', page
    )
    assert match, f"geen CSRF-token op {path}"
    return match.group(1)


def log_in(client: Any, username: str) -> Any:
    response = client.post(
        "/inloggen",
        data={"gebruikersnaam": username, "wachtwoord": PASSWORD, "csrf_token": csrf_token(client)},
    )
    assert response.status_code == 302, response.get_data(as_text=True)[:500]
    return client

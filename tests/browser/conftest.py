"""Browser tests: the real application in a real headless Chromium (Debian's, via Playwright).

Fixtures:
  live_server  base URL ("http://127.0.0.1:PORT") of the `app` fixture served by werkzeug in
               a background thread, for this one test
  page         a fresh Playwright page (locale nl-NL, 1280x900); fails the test when the page
               logs a console error, unless the test allowed it with console.allow(...)
  console      the ConsoleWatch of `page`
  browser      the session's Chromium

Browser tests test the interface, not the database: they run on SQLite only. Chromium comes
from Debian (/usr/bin/chromium; scripts/ensure-test-services installs it). Without it these
tests fail, they do not skip.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from typing import Any

import pytest
from werkzeug.serving import make_server

from app.db import Database
from tests.browser.support import CHROMIUM, CHROMIUM_ARGS, ConsoleWatch

VIEWPORT = {"width": 1280, "height": 900}
_console_key = pytest.StashKey[ConsoleWatch]()


@pytest.fixture
def app(app: Any, db: Database) -> Any:
    """The application of tests/conftest.py, on SQLite only, with the web interface."""
    if not db.is_sqlite:
        pytest.skip("browser tests run on SQLite only")
    if "ui" not in app.blueprints:
        # Until create_app registers the interface itself.
        from app.ui import register_ui

        register_ui(app)
    return app


@pytest.fixture
def live_server(app: Any) -> Iterator[str]:
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, name="live-server", daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join(timeout=10)
        server.server_close()


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    if not CHROMIUM.exists():
        pytest.fail(
            f"{CHROMIUM} ontbreekt: browsertests hebben Debian's Chromium nodig. "
            "Installeer het met scripts/ensure-test-services (apt-get install chromium).",
            pytrace=False,
        )
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        pytest.fail(
            "Python-pakket playwright ontbreekt: pip install -e '.[test]' (scripts/setup).",
            pytrace=False,
        )
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True
        )
        try:
            yield chromium
        finally:
            chromium.close()


@pytest.fixture
def page(browser: Any, request: pytest.FixtureRequest) -> Iterator[Any]:
    context = browser.new_context(locale="nl-NL", viewport=VIEWPORT)
    context.set_default_timeout(10_000)
    tab = context.new_page()
    watch = ConsoleWatch(tab)
    request.node.stash[_console_key] = watch
    try:
        yield tab
    finally:
        context.close()
    watch.assert_clean()


@pytest.fixture
def console(page: Any, request: pytest.FixtureRequest) -> ConsoleWatch:
    return request.node.stash[_console_key]

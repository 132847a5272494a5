"""Helpers for browser tests: accessibility checks with axe-core, screenshots, console errors.

from tests.browser.support import check_accessibility, screenshot

def test_inbox(live_server, page):
    page.goto(f"{live_server}/taken")
    check_accessibility(page, "inbox")     # fails listing every WCAG 2.1 A/AA violation
    screenshot(page, "inbox")              # test-artifacts/screenshots/inbox.png
"""

from __future__ import annotations

import base64
import re
from functools import cache
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
AXE = ROOT / "app" / "static" / "vendor" / "axe-core" / "axe.min.js"
SCREENSHOTS = ROOT / "test-artifacts" / "screenshots"
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]


@cache
def _axe_source() -> str:
    return AXE.read_text(encoding="utf-8") + "\n;undefined"


def check_accessibility(page: Any, name: str, *, exclude: list[str] | None = None) -> None:
    """Run axe-core (WCAG 2.0/2.1 A and AA rules) on the page as it is now; fail the test
    listing each violation with its impact, help text and the offending elements.

    exclude: CSS selectors to leave out (only for third-party widgets with a known, reported
    problem; say why in the test)."""
    if not AXE.exists():
        raise AssertionError(f"{AXE} ontbreekt: voer scripts/setup (of scripts/vendor-assets) uit")
    if not page.evaluate("() => typeof window.axe === 'object'"):
        # The page's Content-Security-Policy forbids inline script, so the file is evaluated
        # through the DevTools protocol rather than injected as a <script> element.
        page.evaluate(_axe_source())
    context: Any = {"exclude": [[s] for s in exclude]} if exclude else "document"
    # resultTypes: only the violations are reported (every rule still runs on every element);
    # axe then describes one passing or undecided element per rule instead of all of them.
    result = page.evaluate(
        """async ([context, tags]) => {
            const target = context === "document" ? document : context;
            const result = await axe.run(
                target, {runOnly: {type: "tag", values: tags}, resultTypes: ["violations"]});
            return result.violations.map(v => ({
                id: v.id, impact: v.impact, help: v.help, helpUrl: v.helpUrl,
                nodes: v.nodes.map(n => ({target: n.target, summary: n.failureSummary})),
            }));
        }""",
        [context, WCAG_TAGS],
    )
    if result:
        lines = [f"{name}: {len(result)} toegankelijkheidsprobleem/-problemen (axe-core):"]
        for violation in result:
            lines.append(
                f"- {violation['id']} [{violation['impact']}]: {violation['help']}"
                f" ({violation['helpUrl']})"
            )
            for node in violation["nodes"]:
                target = " ".join(str(t) for t in node["target"])
                summary = (node["summary"] or "").replace("\n", " ")
                lines.append(f"    {target}: {summary}")
        raise AssertionError("\n".join(lines))


def leave_focus(page: Any) -> None:
    """Let the page finish loading, then take keyboard focus off whatever has it, so a check
    or a screenshot sees the page as it rests. (A mouse click in a corner did this before; once
    in CI it was followed by a navigation to / that destroyed the page under axe-core.)"""
    page.wait_for_load_state("load")
    page.evaluate("() => { if (document.activeElement) document.activeElement.blur(); }")


def wait_for(page: Any, selector: str, timeout_ms: int = 10_000) -> None:
    """Wait until an element matching `selector` is in the page: a MutationObserver wakes on
    each change. page.wait_for_selector polls on every animation frame, and each frame it asks
    for is drawn, composited and handed on by Chromium: CPU for nothing while a page waits."""
    page.evaluate(
        """([selector, timeout]) => new Promise((done, fail) => {
            if (document.querySelector(selector)) return done();
            const observer = new MutationObserver(() => {
                if (document.querySelector(selector)) {
                    observer.disconnect();
                    clearTimeout(timer);
                    done();
                }
            });
            const timer = setTimeout(() => {
                observer.disconnect();
                fail(new Error(`${selector}: niet verschenen binnen ${timeout} ms`));
            }, timeout);
            observer.observe(document, {childList: true, subtree: true, attributes: true});
        })""",
        [selector, timeout_ms],
    )


def screenshot(page: Any, name: str, folder: str = "", *, full_page: bool = True) -> Path:
    """Save a PNG to test-artifacts/screenshots/[<folder>/]<name>.png for reviewers: the whole
    page, or with full_page=False what the window shows."""
    for part in (name, folder) if folder else (name,):
        if not re.fullmatch(r"[A-Za-z0-9_.-]+", part):
            raise ValueError(f"screenshot name {part!r}: use letters, digits, '-', '_' and '.'")
    directory = SCREENSHOTS / folder if folder else SCREENSHOTS
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / f"{name}.png"
    path.write_bytes(_capture(page, full_page=full_page))
    return path


# The size of the whole page as Playwright's page.screenshot(full_page=True) measures it.
_PAGE_SIZE = """async () => {
    await document.fonts.ready;
    const b = document.body, d = document.documentElement;
    return [
        Math.max(b.scrollWidth, d.scrollWidth, b.offsetWidth, d.offsetWidth, b.clientWidth,
                 d.clientWidth),
        Math.max(b.scrollHeight, d.scrollHeight, b.offsetHeight, d.offsetHeight,
                 b.clientHeight, d.clientHeight),
    ];
}"""


def _capture(page: Any, *, full_page: bool) -> bytes:
    """The same picture as page.screenshot(full_page=...), for less work: Chromium encodes the
    PNG for speed (a larger file, the same pixels), and the page gets no extra style sheets
    (Playwright adds and removes some around each shot to hide the caret and sync animations,
    two more style recalculations and layouts of the whole page)."""
    session = getattr(page, "_stroom_cdp", None)
    if session is None:
        session = page.context.new_cdp_session(page)
        page._stroom_cdp = session
    params: dict[str, Any] = {"format": "png", "optimizeForSpeed": True}
    if full_page:
        width, height = page.evaluate(_PAGE_SIZE)
        viewport = page.viewport_size or {"width": 0, "height": 0}
        params["clip"] = {"x": 0, "y": 0, "width": width, "height": height, "scale": 1}
        params["captureBeyondViewport"] = width > viewport["width"] or (height > viewport["height"])
    else:
        page.evaluate("() => document.fonts.ready.then(() => undefined)")
    return base64.b64decode(session.send("Page.captureScreenshot", params)["data"])


class ConsoleWatch:
    """Collects console errors and uncaught exceptions of one page.

    Every browser test fails when its page logged an error, unless the test expected it:
    `console.allow(r"status of 404")` (a regular expression matched against the message)."""

    def __init__(self, page: Any) -> None:
        self.messages: list[str] = []
        self._allowed: list[re.Pattern[str]] = []
        page.on("console", self._on_console)
        page.on("pageerror", self._on_page_error)

    def _on_console(self, message: Any) -> None:
        if message.type == "error":
            location = message.location or {}
            where = location.get("url", "")
            self.messages.append(f"console.error: {message.text} ({where})")

    def _on_page_error(self, error: Any) -> None:
        self.messages.append(f"uncaught exception: {error}")

    def allow(self, pattern: str) -> None:
        self._allowed.append(re.compile(pattern))

    @property
    def errors(self) -> list[str]:
        return [m for m in self.messages if not any(p.search(m) for p in self._allowed)]

    def assert_clean(self) -> None:
        errors = self.errors
        assert not errors, "fouten in de browserconsole:\n" + "\n".join(errors)

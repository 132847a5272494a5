"""The base layout in a real browser: skip link, language, security headers, accessibility."""

from __future__ import annotations

from typing import Any

from tests.browser.support import check_accessibility, leave_focus, screenshot


def test_home_page(live_server: str, page: Any) -> None:
    response = page.goto(f"{live_server}/")
    assert response is not None and response.status == 200

    csp = response.headers.get("content-security-policy", "")
    assert "script-src 'self'" in csp
    assert "frame-ancestors 'none'" in csp
    assert response.headers.get("x-content-type-options") == "nosniff"
    assert response.headers.get("x-frame-options") == "DENY"
    assert response.headers.get("referrer-policy") == "same-origin"

    assert page.get_attribute("html", "lang") == "nl"
    assert page.title() == "Stroom"
    assert page.locator("h1").inner_text() == "Stroom"
    assert page.evaluate("() => typeof window.htmx") == "object"
    # The theme's font came from our own server.
    page.evaluate("() => document.fonts.ready")
    assert page.evaluate("() => document.fonts.check('16px \"Noto Sans Variable\"')")

    # The skip link is the first thing the keyboard reaches, and it moves focus to <main>.
    page.keyboard.press("Tab")
    focused = page.evaluate(
        "() => [document.activeElement.textContent.trim(),"
        " document.activeElement.getAttribute('href')]"
    )
    assert focused == ["Naar de inhoud", "#inhoud"]
    assert page.locator("a.utrecht-skip-link").is_visible()
    page.keyboard.press("Enter")
    page.wait_for_function("() => document.activeElement && document.activeElement.id === 'inhoud'")
    assert page.evaluate("() => document.activeElement.tagName") == "MAIN"
    # The next Tab continues inside the content, not at the top of the page.
    page.keyboard.press("Tab")
    assert page.evaluate("() => document.getElementById('inhoud').contains(document.activeElement)")

    # The navigation marks the current page.
    assert (
        page.locator("nav[aria-label='Hoofdmenu'] a[aria-current='page']").inner_text()
        == "Overzicht"
    )

    leave_focus(page)
    check_accessibility(page, "home")
    screenshot(page, "home")


def test_focus_ring_is_visible(live_server: str, page: Any) -> None:
    page.goto(f"{live_server}/")
    page.keyboard.press("Tab")  # skip link
    page.keyboard.press("Tab")  # product name in the header
    page.keyboard.press("Tab")  # "Inloggen" in the header
    page.keyboard.press("Tab")  # first navigation item

    style = page.evaluate(
        """() => {
            const s = getComputedStyle(document.activeElement);
            return [document.activeElement.textContent.trim(), s.outlineStyle, s.outlineWidth];
        }"""
    )
    assert style == ["Overzicht", "solid", "3px"]
    screenshot(page, "home-focus")


def test_static_assets_are_versioned_and_cached(live_server: str, page: Any) -> None:
    page.goto(f"{live_server}/")
    hrefs = page.eval_on_selector_all(
        "link[rel=stylesheet], script[src]", "els => els.map(e => e.href || e.src)"
    )
    assert hrefs and all("?v=" in href for href in hrefs), hrefs
    response = page.request.get(hrefs[0])
    assert response.status == 200
    assert "immutable" in response.headers["cache-control"]

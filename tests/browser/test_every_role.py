"""Every page of every demo role, at 390, 768 and 1366 px (issue 21).

The demo of `stroom demo` is loaded once per run into a fresh SQLite database (shared by the
xdist workers, tests/support/demo.py), and each work unit serves a copy of its own. One demo
user per process package, kind of organisation and set of roles logs in (colleagues of the
same kind see the same pages with other cases) and walks the pages reachable from the home
page: the links of the header, the menu and the content, one address per route, three clicks
deep, at most MAX_PAGES. Pages of the whole installation or a municipality (process
management, administration, privacy) are judged for the first person who reaches them.
Every page is judged at each width, without reloading, on what a person sees:

- the page scrolls sideways (the document is wider than the window);
- a text element narrower than 8 characters holds more than 8 characters (a value column
  squeezed to one letter per line);
- a card's column name (narrow tables) taller than its cell, running into the next one;
- a word broken over two lines in a header (column header, heading, term, button, label,
  menu link); a break after a hyphen or a slash is fine;
- machine values: ISO dates, timestamps and durations (`P6M`), `None`, Python reprs,
  amounts with a decimal point, English interface words (also in placeholders, options and
  the labels screen readers read).

A screenshot of each page at each width lands in test-artifacts/screenshots/rollen/ (not
committed; CI keeps them as artifacts): the whole page at 1366 and 390 px, the window at
768 px. axe-core runs once per route (and worker), at 390 px. The run takes about three
minutes on one worker (page loads, the layouts at three widths and the screenshots cost
most); scripts/test deals the people over three xdist work units (tests/support/schedule.py).
"""

from __future__ import annotations

import dataclasses
import importlib
import re
import threading
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit

import pytest

from app import plugins
from app.demo_data import common
from tests.browser.support import ConsoleWatch, check_accessibility, screenshot, wait_for
from tests.browser.test_every_page import NOT_PAGES
from tests.support.demo import copy_database, loaded_demo

WIDTHS = (1366, 768, 390)
TABLET = 768
HEIGHT = 844
DEPTH = 3  # clicks from the home page
MAX_PAGES = 14  # per person

# Words of the interface in English that a person must never see (whole words, case as given).
ENGLISH = (
    "Select",
    "Search",
    "Submit",
    "Loading",
    "Required",
    "required",
    "Please",
    "Invalid",
    "waiting",
    "running",
    "completed",
    "suspended",
    "terminated",
    "cancelled",
    "pending",
    "error",
    "Error",
    "true",
    "false",
    "null",
    "undefined",
    "NaN",
    "None",
)
MACHINE = [
    (re.compile(r"\b\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}[^\s]*)?(?!\d)"), "ISO-datum of -tijdstip"),
    (re.compile(r"\{'|\['|': |\[\]|\{\}"), "Python-weergave"),
    (re.compile(r"\bP(?:\d+[YMWD])+\b"), "ISO-duur (schrijf 2 jaar, 6 maanden)"),
    (re.compile(r"\b(" + "|".join(ENGLISH) + r")\b"), "Engels of machinewoord"),
    (re.compile(r"(?<![\w.§])(?<!art\. )\d{2,}\.\d{1,2}(?![\w.])"), "bedrag met decimale punt"),
]

PROBE = """() => {
  const problems = [];
  const visible = (el) => {
    const s = getComputedStyle(el);
    if (s.visibility === 'hidden' || s.display === 'none') return false;
    const r = el.getBoundingClientRect();
    if (r.width <= 2 || r.height <= 2) return false;  // visually hidden text for readers
    return !el.closest('svg, .stroom-visually-hidden, [hidden]');
  };
  const describe = (el) => {
    const names = typeof el.className === 'string' ? el.className.trim().split(/\\s+/) : [];
    return [el.tagName.toLowerCase(), ...names.filter(Boolean).slice(0, 2)].join('.');
  };
  const doc = document.documentElement;
  if (doc.scrollWidth > window.innerWidth + 1) {
    const wide = [...document.querySelectorAll('body *')]
      .filter((el) => visible(el) && el.getBoundingClientRect().right > window.innerWidth + 1)
      .slice(-3).map(describe);
    problems.push(
      `pagina schuift zijwaarts: ${doc.scrollWidth}px in ${window.innerWidth}px (${wide})`);
  }
  const canvas = document.createElement('canvas').getContext('2d');
  for (const el of document.querySelectorAll('main *, header *, nav *')) {
    const own = [...el.childNodes].filter((n) => n.nodeType === 3)
      .map((n) => n.textContent).join('').trim();
    if (own.length <= 8 || !visible(el)) continue;
    const s = getComputedStyle(el);
    if (s.display === 'inline') continue;  // an inline box is as wide as its text
    canvas.font = `${s.fontWeight} ${s.fontSize} ${s.fontFamily}`;
    const eight = Math.min(
      canvas.measureText('00000000').width, canvas.measureText(own.slice(0, 8)).width);
    const width = el.getBoundingClientRect().width;
    if (width < eight) {
      problems.push(`te smal: ${describe(el)} ${Math.round(width)}px voor "${own.slice(0, 30)}"`);
    }
  }
  // A card's column name (the narrow table's ::before) taller than its cell runs into the
  // next cell's name: two texts over each other.
  for (const el of document.querySelectorAll('[data-label]')) {
    if (!visible(el)) continue;
    const label = getComputedStyle(el, '::before');
    if (label.content === 'none' || label.display === 'none') continue;
    const s = getComputedStyle(el);
    const needed =
      parseFloat(label.height) + parseFloat(s.paddingTop) + parseFloat(s.paddingBottom);
    if (needed > el.getBoundingClientRect().height + 1) {
      problems.push(`kolomnaam loopt over de volgende cel: ${describe(el)} "${el.dataset.label}"`);
    }
  }
  const headers = 'th, h1, h2, h3, h4, dt, caption, legend, label, button, nav a';
  for (const el of document.querySelectorAll(headers)) {
    if (!visible(el)) continue;
    const walker = document.createTreeWalker(el, NodeFilter.SHOW_TEXT);
    for (let node = walker.nextNode(); node; node = walker.nextNode()) {
      const text = node.textContent;
      const words = /[^\\s\\u00ad\\-\\/]{2,}/g;  // a break after a hyphen or slash is fine
      for (let m = words.exec(text); m; m = words.exec(text)) {
        const range = document.createRange();
        range.setStart(node, m.index);
        range.setEnd(node, m.index + m[0].length);
        const lines = new Set([...range.getClientRects()].filter((r) => r.width > 0)
          .map((r) => Math.round(r.top)));
        if (lines.size > 1) problems.push(`woord gebroken in ${describe(el)}: "${m[0]}"`);
      }
    }
  }
  const extra = [...document.querySelectorAll('[placeholder], [aria-label], [title], option')]
    .map((el) => [
      el.getAttribute('placeholder'), el.getAttribute('aria-label'), el.getAttribute('title'),
      el.tagName === 'OPTION' ? el.textContent : null,
    ].filter(Boolean).join(' | '));
  return {problems, text: document.body.innerText, extra: extra.join('\\n')};
}"""


@dataclasses.dataclass(frozen=True)
class Person:
    username: str
    roles: tuple[str, ...]


def demo_people() -> list[Person]:
    """One demo user per process package, kind of organisation and set of roles: colleagues
    of the same kind see the same pages with other cases (and the run stays short)."""
    packages = [("", common)]
    for installed in plugins.installed():
        if installed.package.demo is not None:
            packages.append((installed.key, importlib.import_module(f"{installed.module}.demo")))
    people, kinds = [], {}
    for package, module in packages:
        kinds.update({key: kind for key, _name, kind, *_ in getattr(module, "ORGANISATIONS", [])})
        for username, _name, organisation, roles, _groups in getattr(module, "PEOPLE", []):
            people.append((package, kinds.get(organisation, organisation), roles, username))
    chosen: dict[tuple[str, str, tuple[str, ...]], Person] = {}
    for package, kind, roles, username in people:
        chosen.setdefault((package, kind, tuple(sorted(roles))), Person(username, roles))
    return list(chosen.values())


PEOPLE = demo_people()
# Pages of the whole installation or a municipality (process management, administration,
# privacy): judged once per worker, for the first person who reaches them; later people walk
# on through their links (so each person's walk is the same on every worker).
SHARED = ("/processen", "/beheer", "/privacy")
_shared_seen: set[str] = set()
# axe-core once per route (its rules look at the markup, which a route's pages share).
_axe_seen: set[str] = set()


@pytest.fixture(scope="module")
def demo_site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Any]]:
    """`stroom demo` in a fresh database, served by the application (no second factor: that
    has its own test in test_every_page.py)."""
    from werkzeug.serving import make_server

    from app.config import Settings
    from app.db import Database
    from app.web import create_app
    from tests.conftest import ROOT

    # A copy of its own: the walk logs people in, which writes.
    path = tmp_path_factory.mktemp("demo") / "demo.db"
    copy_database(loaded_demo(tmp_path_factory), path)
    url = f"sqlite:///{path}"
    db = Database(url)
    settings = Settings(
        database_url=url,
        bpmn_dir=ROOT / "bpmn",
        forms_dir=ROOT / "forms",
        totp_roles=frozenset(),
    )
    app = create_app(settings, db, testing=True)
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, name="demo-server", daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}", app
    finally:
        server.shutdown()
        thread.join(timeout=10)
        server.server_close()
        db.dispose()


def route_of(app: Any, path: str) -> str | None:
    """The URL rule a path of this site matches, after a redirect of a missing slash (None
    when it matches none)."""
    from werkzeug.routing import RequestRedirect

    adapter = app.url_map.bind("localhost")
    try:
        rule, _args = adapter.match(path, method="GET", return_rule=True)
    except RequestRedirect as redirect:
        return route_of(app, urlsplit(redirect.new_url).path)
    except Exception:
        return None
    return rule.rule


def links(page: Any, base: str) -> list[str]:
    hrefs = page.eval_on_selector_all(
        "header a[href], nav a[href], main a[href]", "els => els.map(e => e.href)"
    )
    paths = []
    for href in hrefs:
        parts = urlsplit(href)
        if f"{parts.scheme}://{parts.netloc}" != base or parts.path.startswith(
            ("/api/", "/static/")
        ):
            continue
        paths.append(parts.path + (f"?{parts.query}" if parts.query else ""))
    return paths


def settle(page: Any) -> None:
    """Wait for what scripts draw: a task form, a diagram."""
    if page.locator("[data-stroom-form-container]").count():
        wait_for(page, ".fjs-form", 5000)
    if page.locator(".stroom-diagram").count():
        wait_for(page, ".stroom-diagram .djs-container", 5000)
    page.mouse.move(0, 0)


def next_frame(page: Any) -> None:
    """Wait until the page has drawn a frame at its new size, so that what reacts to the
    resize (media queries, resize handlers) has run; a fixed sleep waited longer."""
    page.evaluate(
        "() => new Promise((done) => requestAnimationFrame(() => requestAnimationFrame(done)))"
    )


def judge(page: Any, where: str) -> list[str]:
    found = page.evaluate(PROBE)
    problems = [f"{where}: {p}" for p in found["problems"]]
    for text in (found["text"], found["extra"]):
        for pattern, what in MACHINE:
            for match in pattern.finditer(text):
                start = max(0, match.start() - 30)
                context = text[start : match.end() + 30].replace("\n", " ⏎ ")
                problems.append(f"{where}: {what} {match.group(0)!r} in «{context}»")
    return problems


@pytest.mark.parametrize("person", PEOPLE, ids=[p.username for p in PEOPLE])
def test_every_page_of_every_role(demo_site: tuple[str, Any], browser: Any, person: Person) -> None:
    base, app = demo_site
    context = browser.new_context(locale="nl-NL", viewport={"width": WIDTHS[0], "height": HEIGHT})
    context.set_default_timeout(10_000)
    page = context.new_page()
    console = ConsoleWatch(page)
    problems: list[str] = []
    try:
        page.goto(f"{base}/inloggen")
        page.get_by_label("Gebruikersnaam").fill(person.username)
        page.get_by_label("Wachtwoord").fill(common.DEMO_PASSWORD)
        page.get_by_role("button", name="Inloggen").click()
        page.get_by_role("button", name="Uitloggen").wait_for()

        seen_routes: set[str] = set()
        queue: list[tuple[str, int]] = [("/", 0)]
        visited = 0
        while queue and visited < MAX_PAGES:
            path, depth = queue.pop(0)
            rule = route_of(app, urlsplit(path).path)
            if rule is None or rule in NOT_PAGES or rule in seen_routes:
                continue
            seen_routes.add(rule)
            if rule.startswith(SHARED):
                if rule in _shared_seen:
                    # Judged already (for someone before on this worker), but the walk goes
                    # on through its links as if it were judged here: which pages a person
                    # reaches must not depend on who ran before on the same worker.
                    if depth < DEPTH and page.goto(f"{base}{path}") is not None:
                        queue += [(link, depth + 1) for link in links(page, base)]
                    continue
                _shared_seen.add(rule)
            response = page.goto(f"{base}{path}")
            assert response is not None
            if response.status >= 400:
                problems.append(f"{path}: status {response.status}")
                continue
            settle(page)
            visited += 1
            name = re.sub(r"[^A-Za-z0-9]+", "-", f"{person.username}{path}").strip("-")
            for width in WIDTHS:
                page.set_viewport_size({"width": width, "height": HEIGHT})
                next_frame(page)
                problems += judge(page, f"{path} @{width}")
                # The tablet width is judged on the whole page; its picture shows the top
                # (a full page costs a tall capture and PNG for each of some 300 pages).
                screenshot(page, f"{name}-{width}", "rollen", full_page=width != TABLET)
            if rule not in _axe_seen:
                _axe_seen.add(rule)
                try:
                    check_accessibility(page, f"{person.username} {path} @390")
                except AssertionError as error:
                    problems.append(str(error))
            page.set_viewport_size({"width": WIDTHS[0], "height": HEIGHT})
            if depth < DEPTH:
                queue += [(link, depth + 1) for link in links(page, base)]
        problems += console.errors
    finally:
        context.close()
    assert visited >= 2, f"{person.username} zag maar {visited} pagina's"
    assert not problems, f"{len(problems)} problemen:\n" + "\n".join(dict.fromkeys(problems))

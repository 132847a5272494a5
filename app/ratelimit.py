"""Request limits (Flask-Limiter): one budget per API token across the whole API, a budget
of failed bearer authentications per address, and a per-address budget on each login step
(password, second-factor code, enrolment code) on top of the per-account lockout, and a
per-person budget on the modeller's dry runs.

The counters live where `RATE_LIMIT_STORAGE` says: `database` (the default on PostgreSQL)
keeps them in the app's database, one budget however many web processes run; memory:// (the
default on SQLite, which runs one process) counts per process; any `limits` storage
(redis://...) works too. A counter is a fixed window: one upsert per limited request, in its
own short transaction, never in the request's. What the upsert answers is kept for the rest
of the request: Flask-Limiter then reads the counter four more times for the response's
headers, each a connection of its own (most of an API call's time on PostgreSQL). The
address's failed-token count, which every API request asks for, is read with the upsert
(`DatabaseStorage.read_along`): in the same statement on PostgreSQL, right after it on the
same connection on SQLite; on PostgreSQL the counters have connections of their own that
commit each statement without waiting for the disk (`counter_engine`).
"""

from __future__ import annotations

import functools
import hashlib
import time
from collections.abc import Callable
from typing import Any

from flask import Flask, g, has_app_context, has_request_context, request
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from limits import parse
from limits.storage import Storage
from sqlalchemy import bindparam, case, create_engine, delete, select, text
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Engine

from app.auth.bearer import API_PREFIX, FAILED_SCOPE, FAILED_TOKENS
from app.auth.models import RateLimitCounter
from app.config import Settings
from app.db import ping_when_idle

LOGIN_LIMIT = "30 per minute"
LOGIN_ENDPOINTS = ("auth.login", "auth.second_factor", "auth.enroll")
# The modeller's live dry runs run every deploy check (parse, expressions, data flow) on a
# posted diagram: a budget per person (settings.modeller_check_limit), generous for editing
# (the page waits 0.6 s between checks) and a bound on what one session makes the server do.
CHECK_ENDPOINTS = (
    "modelling.check",
    "modelling.form_check",
    # Each save of the catalogue editor runs the same checks on the edited catalogue.
    "modelling.catalogue_field",
    "modelling.catalogue_new_field",
    "modelling.catalogue_settings",
)


DATABASE = "database"
_TABLE = RateLimitCounter.__table__
_SWEEP_EVERY = 1000  # increments between removals of expired counters
_SEEN = "stroom_rate_limit_counters"  # in flask.g: {key: (count, expires_at)} of this request


def _seen(key: str) -> tuple[int, float] | None:
    return g.get(_SEEN, {}).get(key) if has_app_context() else None


def _forget(key: str | None = None) -> None:
    if has_app_context() and _SEEN in g:
        if key is None:
            g.pop(_SEEN)
        else:
            g.get(_SEEN).pop(key, None)


_COUNTER_ENGINES: dict[str, Engine] = {}

# Counters the request reads along with its own (their key, count and end), if not expired.
_OTHERS = select(_TABLE.c.key, _TABLE.c.count, _TABLE.c.expires_at).where(
    _TABLE.c.key.in_(bindparam("along", expanding=True)), _TABLE.c.expires_at > bindparam("now")
)


@functools.cache
def _statement(dialect: str, with_others: bool) -> Any:
    """The counter's upsert (bound: key, amount, now, expires), returning its key, count and
    end; with `with_others` (PostgreSQL) followed in the same statement by `_OTHERS` (bound:
    along). Built once: the statement's construction and cache key cost more than its
    execution's Python side. (The others are other keys, so reading them in the snapshot
    before the upsert is reading them now.)"""
    stored = _TABLE.c
    insert = (postgresql if dialect == "postgresql" else sqlite).insert(_TABLE)
    now, amount = bindparam("now"), bindparam("amount")
    expired = stored.expires_at <= now
    upsert = (
        insert.values(key=bindparam("key"), count=amount, expires_at=bindparam("expires"))
        .on_conflict_do_update(
            index_elements=[stored.key],
            set_={
                "count": case((expired, amount), else_=stored.count + amount),
                "expires_at": case((expired, bindparam("expires")), else_=stored.expires_at),
            },
        )
        .returning(stored.key, stored.count, stored.expires_at)
    )
    if not with_others:
        return upsert
    counted = upsert.cte("counted")
    return select(counted.c.key, counted.c.count, counted.c.expires_at).union_all(_OTHERS)


def counter_engine(engine: Engine) -> Engine:
    """The engine the counters use. On PostgreSQL one of their own per database and process:
    every statement commits by itself (an upsert is atomic; no BEGIN and COMMIT round trips
    around it), and without waiting for the disk (`synchronous_commit=off` for these
    connections only): a crash can lose the last moment's counts, a little more budget,
    never a case or a log line, whose commits stay synchronous. At most the web process's
    threads use it at once. SQLite (one process) counts with the app's engine."""
    if engine.dialect.name != "postgresql":
        return engine
    url = engine.url.render_as_string(hide_password=False)
    if url not in _COUNTER_ENGINES:
        counters = create_engine(
            url,
            isolation_level="AUTOCOMMIT",
            pool_size=2,
            max_overflow=8,
            connect_args={"options": "-c synchronous_commit=off"},
        )
        ping_when_idle(counters)
        _COUNTER_ENGINES[url] = counters
    return _COUNTER_ENGINES[url]


class DatabaseStorage(Storage):
    """Fixed-window counters in the app's database (table `rate_limit_counter`)."""

    STORAGE_SCHEME = ["stroom-database"]

    def __init__(
        self, uri: str | None = None, wrap_exceptions: bool = False, **options: Any
    ) -> None:
        self.engine: Engine = counter_engine(options.pop("engine"))
        # Keys of counters the current request will read after its increment (set by
        # register_rate_limits): read on the increment's connection.
        self.read_along: Callable[[], list[str]] | None = None
        self._increments = 0
        super().__init__(uri, wrap_exceptions, **options)

    @property
    def base_exceptions(self) -> type[Exception]:
        return Exception

    def incr(self, key: str, expiry: int, amount: int = 1) -> int:
        now = time.time()
        dialect = self.engine.dialect.name
        along = self.read_along() if self.read_along and has_request_context() else []
        along = [other for other in along if other != key]
        values = {"key": key, "amount": amount, "now": now, "expires": now + expiry}
        # On PostgreSQL each statement is its own transaction (see counter_engine).
        with self.engine.begin() as connection:
            if along and dialect == "postgresql":
                # The request's other counters it will ask about (the address's failed
                # tokens) in the upsert's own statement: one round trip for both.
                both = {**values, "along": along}
                rows = list(connection.execute(_statement(dialect, True), both))
            else:
                # SQLite has no upsert in a WITH: the same read right after, on its connection.
                rows = [connection.execute(_statement(dialect, False), values).one()]
                if along:
                    rows += connection.execute(_OTHERS, {"now": now, "along": along}).all()
            read = {k: (int(c), float(e)) for k, c, e in rows}
            count, expires_at = read.pop(key)
            self._increments += 1
            if self._increments % _SWEEP_EVERY == 0:
                connection.execute(delete(_TABLE).where(_TABLE.c.expires_at <= now))
        if has_app_context():  # the headers of this response show the count it made
            seen = g.setdefault(_SEEN, {})
            seen[key] = (int(count), float(expires_at))
            for other in along:
                # Read by this request, just now; unknown or expired: nothing counted yet.
                seen.setdefault(other, read.get(other, (0, now)))
        return int(count)

    def get(self, key: str) -> int:
        seen = _seen(key)
        if seen is not None:
            count, expires_at = seen
            return count if expires_at > time.time() else 0
        with self.engine.connect() as connection:
            count = connection.execute(
                select(_TABLE.c.count).where(_TABLE.c.key == key, _TABLE.c.expires_at > time.time())
            ).scalar()
        return int(count or 0)

    def get_expiry(self, key: str) -> float:
        seen = _seen(key)
        if seen is not None:
            return seen[1]
        with self.engine.connect() as connection:
            expires = connection.execute(
                select(_TABLE.c.expires_at).where(
                    _TABLE.c.key == key, _TABLE.c.expires_at > time.time()
                )
            ).scalar()
        return float(expires) if expires is not None else time.time()

    def check(self) -> bool:
        try:
            with self.engine.connect() as connection:
                connection.execute(text("SELECT 1"))
            return True
        except Exception:  # noqa: BLE001 - the limiter asks whether the storage answers
            return False

    def reset(self) -> int | None:
        _forget()
        with self.engine.begin() as connection:
            return connection.execute(delete(_TABLE)).rowcount

    def clear(self, key: str) -> None:
        _forget(key)
        with self.engine.begin() as connection:
            connection.execute(delete(_TABLE).where(_TABLE.c.key == key))


def _token_key() -> str:
    """A digest of the bearer token (never the token itself); the address without one, so
    unauthenticated guessing is limited too."""
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() == "bearer" and token.strip():
        return "token:" + hashlib.sha256(token.strip().encode()).hexdigest()[:32]
    return "addr:" + get_remote_address()


def _person_key() -> str:
    from flask import session

    from app.auth.web import SESSION_USER

    user = session.get(SESSION_USER)
    return f"user:{user}" if user else "addr:" + get_remote_address()


def api_blueprints(app: Flask) -> set[str]:
    """The blueprints with routes under the API prefix, read from the URL map, so an API
    blueprint added later gets the budget without anyone remembering to list it."""
    names = set()
    for rule in app.url_map.iter_rules():
        if rule.rule.startswith(API_PREFIX + "/"):
            blueprint = rule.endpoint.rpartition(".")[0]
            if blueprint not in app.blueprints:
                raise RuntimeError(
                    f"API-route {rule.rule} hoort bij geen blueprint en valt buiten de limiet"
                )
            names.add(blueprint)
    return names


def _storage(app: Flask, settings: Settings) -> tuple[str, dict[str, Any]]:
    uri = settings.rate_limit_storage or (DATABASE if not settings.is_sqlite else "memory://")
    if uri != DATABASE:
        return uri, {}
    return "stroom-database://", {"engine": app.extensions["stroom"].db.engine}


def register_rate_limits(app: Flask, settings: Settings) -> Limiter:
    try:
        failed_tokens = parse(settings.api_failed_auth_limit)
    except ValueError as exc:
        raise ValueError(
            f"STROOM_API_FAILED_AUTH_LIMIT={settings.api_failed_auth_limit!r}: {exc}"
        ) from exc
    storage_uri, storage_options = _storage(app, settings)
    limiter = Limiter(
        get_remote_address,
        app=app,
        storage_uri=storage_uri,
        storage_options=storage_options,
        headers_enabled=True,
        key_prefix="stroom",
    )
    api_limit = limiter.shared_limit(settings.api_rate_limit, scope="api", key_func=_token_key)
    for name in api_blueprints(app):
        api_limit(app.blueprints[name])
    for endpoint in LOGIN_ENDPOINTS:
        view = app.view_functions[endpoint]
        app.view_functions[endpoint] = limiter.limit(LOGIN_LIMIT, methods=["POST"])(view)
    try:
        parse(settings.modeller_check_limit)
    except ValueError as exc:
        raise ValueError(
            f"STROOM_MODELLER_CHECK_LIMIT={settings.modeller_check_limit!r}: {exc}"
        ) from exc
    for endpoint in CHECK_ENDPOINTS:
        view = app.view_functions[endpoint]
        limit = limiter.limit(settings.modeller_check_limit, key_func=_person_key, methods=["POST"])
        app.view_functions[endpoint] = limit(view)
    app.extensions[FAILED_TOKENS] = (limiter, failed_tokens)
    storage = limiter.storage
    if isinstance(storage, DatabaseStorage):
        # Every API request asks for its address's failed tokens (app/auth/bearer.py) right
        # after its budget is counted: read them with that count.
        def failed_key() -> list[str]:
            if not request.path.startswith(API_PREFIX + "/"):
                return []
            return [failed_tokens.key_for(FAILED_SCOPE, get_remote_address())]

        storage.read_along = failed_key
    return limiter

"""A fake Haal Centraal BRP Personen Bevragen v2 server on 127.0.0.1 (random port).

It speaks the published protocol (BRP-API/Haal-Centraal-BRP-bevragen, specificatie/
openapi.yaml and the features): `POST /haalcentraal/api/brp/personen` with a query `type` and
a mandatory `fields` list; answers `{"type": ..., "personen": [...]}` (200 with an empty list
when nobody matches); errors as application/problem+json with `invalidParams` on a 400.
It serves its own seeded households, independent of the app's embedded register, and checks
requests strictly, so the real client is tested against the protocol, not against itself.

Also: an OAuth2 token endpoint (client credentials), API keys with field authorisation
(401 / 403), `force()` to answer the next requests with any status (404, 500, ...), and a
log of every request received.
"""

from __future__ import annotations

import base64
import copy
import json
import re
import secrets
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import pytest
from werkzeug.serving import make_server
from werkzeug.wrappers import Request, Response

from app import clock
from app.registers.brp import contract

PATH = "/haalcentraal/api/brp/personen"
TOKEN_PATH = "/oauth/token"
RFC7231 = "https://datatracker.ietf.org/doc/html/rfc7231#section-"
MONTHS = "januari februari maart april mei juni juli augustus september oktober november december"


def bsns_in_test_range(start: int, count: int) -> list[str]:
    """BSNs in RvIG's test range that pass the eleven test."""
    found: list[str] = []
    n = start
    while len(found) < count:
        digits = [int(c) for c in str(n)]
        total = sum(w * d for w, d in zip(range(9, 1, -1), digits[:8], strict=True)) - digits[8]
        if total % 11 == 0 and total:
            found.append(str(n))
        n += 1
    return found


def _datum(iso: str) -> dict[str, Any]:
    d = date.fromisoformat(iso)
    return {
        "type": "Datum",
        "datum": iso,
        "langFormaat": f"{d.day} {MONTHS.split()[d.month - 1]} {d.year}",
    }


def _adres(
    straat: str, nr: int, postcode: str, aoi: str, letter: str | None = None
) -> dict[str, Any]:
    verblijfadres: dict[str, Any] = {
        "officieleStraatnaam": straat,
        "korteStraatnaam": straat,
        "huisnummer": nr,
        "postcode": postcode,
        "woonplaats": "Nepdorp",
    }
    if letter:
        verblijfadres["huisletter"] = letter
    return {
        "type": "Adres",
        "adresseerbaarObjectIdentificatie": aoi,
        "verblijfadres": verblijfadres,
    }


BSN = bsns_in_test_range(999998000, 40)
# Household 1 (acceptance): parents, an adult child and two minors at Zonnebloemstraat 4.
VADER, MOEDER, ZOON_19, DOCHTER_15, ZOON_9 = BSN[0:5]
# Household 2: a single resident at Zonnebloemstraat 4 A (same postcode and number).
BUURVROUW = BSN[5]
# Household 3: eleven residents at one address (too many results for a search).
KAMERS = BSN[6:17]
# A person without a known address.
ZONDER_ADRES = BSN[17]
# A person whose day of birth is unknown (JaarMaandDatum).
ONBEKENDE_DAG = BSN[18]

AOI_1, AOI_2, AOI_3 = "0599010000000001", "0599010000000002", "0599010000000003"


def _persoon(
    bsn: str, voornaam: str, achternaam: str, geboren: str | dict[str, Any], **extra: Any
) -> dict[str, Any]:
    record: dict[str, Any] = {
        "burgerservicenummer": bsn,
        "naam": {
            "voornamen": voornaam,
            "geslachtsnaam": achternaam,
            "voorletters": f"{voornaam[0]}.",
            "volledigeNaam": f"{voornaam} {achternaam}",
        },
        "geboorte": {"datum": _datum(geboren) if isinstance(geboren, str) else geboren},
    }
    record.update(extra)
    return record


def seed() -> dict[str, dict[str, Any]]:
    huis = _adres("Zonnebloemstraat", 4, "3011AB", AOI_1)
    buren = _adres("Zonnebloemstraat", 4, "3011AB", AOI_2, letter="A")
    kamers = _adres("Kamerlaan", 1, "3011AC", AOI_3)
    people = [
        _persoon(
            VADER,
            "Kees",
            "Zonneveld",
            "1980-05-01",
            verblijfplaats=huis,
            partners=[{"burgerservicenummer": MOEDER}],
            kinderen=[{"burgerservicenummer": b} for b in (ZOON_19, DOCHTER_15, ZOON_9)],
        ),
        _persoon(
            MOEDER,
            "Els",
            "Zonneveld",
            "1982-08-17",
            verblijfplaats=huis,
            partners=[{"burgerservicenummer": VADER}],
        ),
        _persoon(ZOON_19, "Tim", "Zonneveld", "2006-09-09", verblijfplaats=huis),
        _persoon(DOCHTER_15, "Roos", "Zonneveld", "2010-12-24", verblijfplaats=huis),
        _persoon(ZOON_9, "Bas", "Zonneveld", "2016-06-30", verblijfplaats=huis),
        _persoon(BUURVROUW, "Truus", "Buurman", "1950-01-15", verblijfplaats=buren),
        *[
            _persoon(b, "Kamerbewoner", f"Nummer{i}", f"{1990 + i}-01-01", verblijfplaats=kamers)
            for i, b in enumerate(KAMERS)
        ],
        _persoon(
            ZONDER_ADRES,
            "Onno",
            "Onbekend",
            "1975-03-03",
            verblijfplaats={"type": "VerblijfplaatsOnbekend"},
        ),
        _persoon(
            ONBEKENDE_DAG,
            "Dirk",
            "Dagloos",
            {"type": "JaarMaandDatum", "jaar": 1970, "maand": 7, "langFormaat": "juli 1970"},
            verblijfplaats=_adres("Dagweg", 9, "3011AD", "0599010000000009"),
        ),
    ]
    return {p["burgerservicenummer"]: p for p in people}


@dataclass
class Received:
    method: str
    path: str
    headers: dict[str, str]
    body: Any
    form: dict[str, str] = field(default_factory=dict)


@dataclass
class FakeBrp:
    """Configure before or during a test; read `requests` afterwards."""

    api_keys: dict[str, set[str] | None] = field(default_factory=lambda: {"test-sleutel": None})
    oauth_clients: dict[str, str] = field(default_factory=lambda: {"stroom": "geheim"})
    token_ttl: int = 3600
    people: dict[str, dict[str, Any]] = field(default_factory=seed)
    requests: list[Received] = field(default_factory=list)
    tokens: dict[str, str] = field(default_factory=dict)  # token -> client id
    token_requests: int = 0
    delay_seconds: float = 0.0  # answer /personen this much later (time-out tests)
    base_url: str = ""
    _forced: list[tuple[int, dict[str, Any] | None]] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def token_url(self) -> str:
        return self.base_url.split("/haalcentraal")[0] + TOKEN_PATH

    def force(self, status: int, times: int = 1, problem: dict[str, Any] | None = None) -> None:
        """Answer the next `times` /personen requests with `status` (problem+json)."""
        with self._lock:
            self._forced.extend([(status, problem)] * times)

    def personen_requests(self) -> list[Received]:
        return [r for r in self.requests if r.path == PATH]

    def revoke_tokens(self) -> None:
        self.tokens.clear()

    # -- WSGI ---------------------------------------------------------------------------------

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Any:
        request = Request(environ)
        return self.dispatch(request)(environ, start_response)

    def dispatch(self, request: Request) -> Response:
        raw = request.get_data(as_text=True)
        body: Any = None
        if request.mimetype == "application/json":
            try:
                body = json.loads(raw) if raw else None
            except ValueError:
                body = raw
        with self._lock:
            self.requests.append(
                Received(
                    request.method,
                    request.path,
                    {k.lower(): v for k, v in request.headers.items()},
                    body,
                    dict(request.form),
                )
            )
        if request.path == TOKEN_PATH and request.method == "POST":
            return self._token(request)
        if self.delay_seconds:
            time.sleep(self.delay_seconds)
        with self._lock:
            forced = self._forced.pop(0) if self._forced else None
        if forced is not None:
            return _problem(forced[0], **(forced[1] or _DEFAULT_PROBLEMS.get(forced[0], {})))
        if request.path != PATH:
            return _problem(404, **_DEFAULT_PROBLEMS[404])
        if request.method != "POST":
            return _problem(405, title="Methode niet toegestaan.", code="methodNotAllowed")
        allowed, denial = self._authenticate(request)
        if denial is not None:
            return denial
        accept = request.headers.get("Accept", "")
        if accept and not re.match(
            r"^(application/json|\*/\*)\s*(;\s*charset=utf-8)?$", accept, re.I
        ):
            return _problem(
                406,
                title="Gevraagde content type wordt niet ondersteund.",
                detail="Ondersteunde content type: application/json; charset=utf-8.",
                code="notAcceptable",
                type=RFC7231 + "6.5.6",
            )
        content_type = request.headers.get("Content-Type", "")
        if content_type and not re.match(
            r"^application/json\s*(;\s*charset=utf-8)?$", content_type, re.I
        ):
            return _problem(
                415,
                title="Media Type wordt niet ondersteund.",
                detail="Ondersteunde content type: application/json; charset=utf-8.",
                code="unsupportedMediaType",
                type=RFC7231 + "6.5.13",
            )
        return self._personen(body, allowed)

    def _authenticate(self, request: Request) -> tuple[set[str] | None, Response | None]:
        key = request.headers.get("X-API-KEY")
        if key is not None:
            if key in self.api_keys:
                return self.api_keys[key], None
            return None, _unauthenticated()
        authorization = request.headers.get("Authorization", "")
        if authorization.lower().startswith("bearer "):
            if authorization[7:].strip() in self.tokens:
                return None, None
        return None, _unauthenticated()

    def _token(self, request: Request) -> Response:
        self.token_requests += 1
        form = request.form
        client_id, secret = form.get("client_id"), form.get("client_secret")
        auth = request.headers.get("Authorization", "")
        if auth.lower().startswith("basic "):
            decoded = base64.b64decode(auth[6:]).decode()
            client_id, _, secret = decoded.partition(":")
        if form.get("grant_type") != "client_credentials":
            return Response(
                json.dumps({"error": "unsupported_grant_type"}),
                400,
                content_type="application/json",
            )
        if client_id not in self.oauth_clients or self.oauth_clients[client_id] != secret:
            return Response(
                json.dumps(
                    {
                        "error": "invalid_client",
                        "error_description": "Onbekende client of fout geheim.",
                    }
                ),
                401,
                content_type="application/json",
            )
        token = secrets.token_urlsafe(16)
        self.tokens[token] = client_id
        answer = {"access_token": token, "token_type": "Bearer", "expires_in": self.token_ttl}
        if form.get("scope"):
            answer["scope"] = form["scope"]
        return Response(
            json.dumps(answer),
            200,
            content_type="application/json",
            headers={"Cache-Control": "no-store"},
        )

    def _personen(self, body: dict[str, Any], allowed: set[str] | None) -> Response:
        # The one request check of the contract (the embedded register uses it too).
        try:
            query = contract.check_query(body)
        except contract.QueryRefused as refused:
            return _problem(
                refused.status, **{k: v for k, v in refused.problem.items() if k != "status"}
            )
        kind = query.kind
        requested = query.fields
        if allowed is not None:
            if any(f.split(".")[0] not in allowed for f in requested):
                return _problem(
                    403,
                    title="U bent niet geautoriseerd voor één of meerdere opgegeven field waarden.",
                    code="unauthorizedField",
                    type=RFC7231 + "6.5.3",
                )
        found = self._find(kind, body)
        if kind != "RaadpleegMetBurgerservicenummer" and len(found) > 10:
            return _problem(
                400,
                title="Teveel zoekresultaten.",
                detail="Meer dan maximum van 10 zoekresultaten gevonden. Verfijn de zoekopdracht.",
                code="tooManyResults",
            )
        today = clock.local(clock.now()).date()
        personen = [_project(_with_age(p, today), requested) for p in found]
        payload = {"type": kind, "personen": personen}
        return Response(
            json.dumps(payload, ensure_ascii=False),
            200,
            content_type="application/json; charset=utf-8",
        )

    def _find(self, kind: str, body: dict[str, Any]) -> list[dict[str, Any]]:
        if kind == "RaadpleegMetBurgerservicenummer":
            return [
                self.people[b]
                for b in dict.fromkeys(body["burgerservicenummer"])
                if b in self.people
            ]
        result = []
        for person in self.people.values():
            place = person.get("verblijfplaats") or {}
            adres = place.get("verblijfadres") or {}
            if kind == "ZoekMetAdresseerbaarObjectIdentificatie":
                match = (
                    place.get("adresseerbaarObjectIdentificatie")
                    == body["adresseerbaarObjectIdentificatie"]
                )
            elif kind == "ZoekMetNummeraanduidingIdentificatie":
                match = (
                    place.get("nummeraanduidingIdentificatie")
                    == body["nummeraanduidingIdentificatie"]
                )
            else:
                postcode = body["postcode"].replace(" ", "").upper()
                match = (
                    adres.get("postcode") == postcode
                    and adres.get("huisnummer") == body["huisnummer"]
                )
                if body.get("huisletter"):
                    match = (
                        match
                        and str(adres.get("huisletter", "")).upper() == body["huisletter"].upper()
                    )
                if body.get("huisnummertoevoeging"):
                    match = (
                        match
                        and str(adres.get("huisnummertoevoeging", "")).upper()
                        == body["huisnummertoevoeging"].upper()
                    )
            if match:
                result.append(person)
        return result


_DEFAULT_PROBLEMS: dict[int, dict[str, Any]] = {
    400: {"title": "Een of meerdere parameters zijn niet correct.", "code": "paramsValidation"},
    401: {"title": "Niet correct geauthenticeerd.", "code": "authentication"},
    403: {"title": "U bent niet geautoriseerd voor deze operatie.", "code": "autorisation"},
    404: {
        "title": "Opgevraagde resource bestaat niet.",
        "detail": "The server has not found anything matching the Request-URI.",
        "code": "notFound",
    },
    500: {
        "title": "Interne server fout.",
        "detail": "The server encountered an unexpected condition which prevented it from "
        "fulfilling the request.",
        "code": "serverError",
    },
    503: {"title": "Bronservice BRP is tijdelijk niet beschikbaar.", "code": "sourceUnavailable"},
}


def _problem(status: int, **fields: Any) -> Response:
    problem = {
        "type": fields.pop("type", RFC7231 + "6"),
        "status": status,
        "instance": PATH,
        **fields,
    }
    headers = {"WWW-Authenticate": "Bearer"} if status == 401 else {}
    return Response(
        json.dumps(problem, ensure_ascii=False),
        status,
        content_type="application/problem+json",
        headers=headers,
    )


def _unauthenticated() -> Response:
    return _problem(
        401,
        type=RFC7231 + "6.5.2",
        **_DEFAULT_PROBLEMS[401],
        detail="The request requires user authentication.",
    )


def _with_age(person: dict[str, Any], today: date) -> dict[str, Any]:
    person = copy.deepcopy(person)
    datum = (person.get("geboorte") or {}).get("datum") or {}
    if datum.get("type") == "Datum":
        born = date.fromisoformat(datum["datum"])
        person["leeftijd"] = (
            today.year - born.year - ((today.month, today.day) < (born.month, born.day))
        )
    return person


def _project(person: dict[str, Any], requested: list[str]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for path in requested:
        _copy_path(person, out, path.split("."))
    return out


def _copy_path(source: Any, target: dict[str, Any], parts: list[str]) -> None:
    key, rest = parts[0], parts[1:]
    if not isinstance(source, dict) or key not in source:
        return
    value = source[key]
    if "type" in source and source is not target:
        target.setdefault("type", source["type"])
    if not rest or (isinstance(value, dict) and "langFormaat" in value):
        target[key] = copy.deepcopy(value)
    elif isinstance(value, list):
        items = target.setdefault(key, [{} for _ in value])
        for item, into in zip(value, items, strict=False):
            _copy_path(item, into, rest)
    elif isinstance(value, dict):
        _copy_path(value, target.setdefault(key, {}), rest)


@pytest.fixture
def brp_server() -> Iterator[FakeBrp]:
    """A running fake BRP; `brp_server.base_url` ends in /haalcentraal/api/brp."""
    fake = FakeBrp()
    server = make_server("127.0.0.1", 0, fake, threaded=True)
    fake.base_url = f"http://127.0.0.1:{server.server_port}/haalcentraal/api/brp"
    thread = threading.Thread(target=server.serve_forever, args=(0.02,), daemon=True)
    thread.start()
    try:
        yield fake
    finally:
        server.shutdown()
        thread.join(timeout=5)

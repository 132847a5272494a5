"""The real BRP client (Haal Centraal BRP Personen Bevragen v2) against the fake server."""

from __future__ import annotations

import socket

import pytest

import handlers
from app.registers.brp.client import HaalCentraalBrpClient
from app.registers.brp.household import BrpService
from app.registers.brp.protocol import (
    BEWONER_FIELDS,
    HUISHOUDEN_PERSOON_FIELDS,
    PERSOON_FIELDS,
    raadpleeg_met_bsn,
)
from app.registers.settings import BrpSettings
from handlers import HandlerContext, HandlerError
from tests.fakes import brp_server as fake
from tests.registers.conftest import API_KEY

CTX = HandlerContext(job_id=1, instance_id="i", business_key="k", attempt=1)


def run(topic: str, inputs: dict) -> dict:
    handler = handlers.get(topic)
    assert handler is not None
    result = handler.func(inputs, CTX)
    assert set(result) <= set(handler.outputs)
    return result


def client(server: fake.FakeBrp, **overrides) -> HaalCentraalBrpClient:
    settings = {"base_url": server.base_url, "api_key": API_KEY, "timeout_seconds": 5.0}
    settings.update(overrides)
    return HaalCentraalBrpClient(BrpSettings(**settings))


def test_household_with_two_minors_and_an_adult_child(real_brp, clock) -> None:
    result = run("brp.huishouden", {"bsn": fake.VADER})
    assert result == {
        "leeftijd": 45,
        "aantal_bewoners": 5,
        "minderjarigen": 2,
        "heeft_minderjarigen": True,
        "bewoner_65_plus": False,
        "huishouden": "met partner en kinderen",
        "adres_gevonden": True,
    }


def test_fields_are_always_sent_and_minimal(real_brp, clock) -> None:
    run("brp.huishouden", {"bsn": fake.VADER, "postcode": "3011 AB", "huisnummer": 4})
    first, second = [r.body for r in real_brp.personen_requests()]
    assert first == {
        "type": "RaadpleegMetBurgerservicenummer",
        "burgerservicenummer": [fake.VADER],
        "fields": list(HUISHOUDEN_PERSOON_FIELDS),
    }
    # The person's own address: the exact dwelling by its addressable object.
    assert second == {
        "type": "ZoekMetAdresseerbaarObjectIdentificatie",
        "adresseerbaarObjectIdentificatie": fake.AOI_1,
        "fields": list(BEWONER_FIELDS),
    }
    run("brp.persoon", {"bsn": fake.VADER})
    assert real_brp.personen_requests()[-1].body["fields"] == list(PERSOON_FIELDS)
    for request in real_brp.personen_requests():
        assert request.body["fields"], "fields is mandatory"
        assert not any(f.startswith("kinderen") for f in request.body["fields"])
        assert request.headers["content-type"].startswith("application/json")


def test_api_key_is_sent_in_the_x_api_key_header(real_brp, clock) -> None:
    run("brp.persoon", {"bsn": fake.VADER})
    assert real_brp.personen_requests()[0].headers["x-api-key"] == API_KEY
    assert "authorization" not in real_brp.personen_requests()[0].headers


def test_other_address_searches_postcode_and_number(real_brp, clock) -> None:
    result = run(
        "brp.huishouden", {"bsn": fake.ZONDER_ADRES, "postcode": "3011ab", "huisnummer": 4}
    )
    query = real_brp.personen_requests()[-1].body
    assert query == {
        "type": "ZoekMetPostcodeEnHuisnummer",
        "postcode": "3011AB",
        "huisnummer": 4,
        "fields": list(BEWONER_FIELDS),
    }
    # Like the API, postcode + number without a letter also finds number 4 A.
    assert result["aantal_bewoners"] == 6
    assert result["huishouden"] == "overig"
    assert result["bewoner_65_plus"] is True


def test_addressable_object_keeps_neighbours_at_4a_apart(real_brp, clock) -> None:
    result = run("brp.huishouden", {"bsn": fake.BUURVROUW})
    assert result["aantal_bewoners"] == 1
    assert result["huishouden"] == "alleenstaand"
    assert result["bewoner_65_plus"] is True


def test_person_without_known_address(real_brp, clock) -> None:
    result = run("brp.huishouden", {"bsn": fake.ZONDER_ADRES})
    assert result["adres_gevonden"] is False
    assert result["aantal_bewoners"] == 0
    assert result["huishouden"] == "onbekend"
    assert len(real_brp.personen_requests()) == 1  # nothing to search
    assert run("brp.persoon", {"bsn": fake.ZONDER_ADRES})["postcode"] is None


def test_unknown_day_of_birth_still_gives_an_age(real_brp, clock) -> None:
    result = run("brp.persoon", {"bsn": fake.ONBEKENDE_DAG})
    assert result == {"leeftijd": 55, "geboortedatum": None, "postcode": "3011AD", "huisnummer": 9}


def test_nobody_found_is_an_empty_list_and_a_clear_error(real_brp, clock) -> None:
    unknown = fake.bsns_in_test_range(999997000, 1)[0]
    answer = client(real_brp).personen(raadpleeg_met_bsn([unknown], ["burgerservicenummer"]))
    assert answer == {"type": "RaadpleegMetBurgerservicenummer", "personen": []}
    with pytest.raises(HandlerError, match="kent geen") as caught:
        run("brp.huishouden", {"bsn": unknown})
    assert unknown not in str(caught.value)  # no BSN in incident texts


def test_too_many_results_is_surfaced(real_brp, clock) -> None:
    with pytest.raises(HandlerError) as caught:
        run("brp.huishouden", {"bsn": fake.KAMERS[0]})
    message = str(caught.value)
    assert "400" in message and "Teveel zoekresultaten." in message
    assert "Verfijn de zoekopdracht" in message


def test_forced_404_shows_status_title_and_detail(real_brp, clock) -> None:
    real_brp.force(404)
    with pytest.raises(HandlerError) as caught:
        run("brp.huishouden", {"bsn": fake.VADER})
    message = str(caught.value)
    assert "404" in message
    assert "Opgevraagde resource bestaat niet." in message
    assert "The server has not found anything matching the Request-URI." in message


def test_wrong_base_url_is_a_404(brp_server, clock) -> None:
    wrong = client(brp_server, base_url=brp_server.base_url.replace("/brp", "/brpx"))
    with pytest.raises(HandlerError, match=r"404: Opgevraagde resource bestaat niet\."):
        wrong.personen(raadpleeg_met_bsn([fake.VADER], ["burgerservicenummer"]))


def test_forced_500_shows_the_servers_message(real_brp, clock) -> None:
    real_brp.force(500, problem={"title": "Interne server fout.", "detail": "Database weg."})
    with pytest.raises(HandlerError) as caught:
        run("brp.persoon", {"bsn": fake.VADER})
    assert "BRP antwoordde 500: Interne server fout. Database weg." in str(caught.value)


def test_500_without_problem_body_still_names_the_status(brp_server, clock) -> None:
    brp_server.force(503)
    with pytest.raises(HandlerError, match="503"):
        client(brp_server).personen(raadpleeg_met_bsn([fake.VADER], ["burgerservicenummer"]))


def test_invalid_params_are_surfaced(brp_server, clock) -> None:
    query = {"type": "RaadpleegMetBurgerservicenummer", "burgerservicenummer": ["12345678"]}
    query["fields"] = ["burgerservicenummer", "anummer", "inOnderzoek"]
    with pytest.raises(HandlerError) as caught:
        client(brp_server).personen(query)
    message = str(caught.value)
    assert message.startswith("BRP antwoordde 400: Een of meerdere parameters zijn niet correct.")
    assert (
        "burgerservicenummer[0] (pattern: Waarde voldoet niet aan patroon ^[0-9]{9}$.)" in message
    )
    assert "fields[1] (fields: Parameter bevat een niet bestaande veldnaam.)" in message
    assert "fields[2] (fields: Parameter bevat een niet toegestane veldnaam.)" in message
    assert caught.value.problem["code"] == "paramsValidation"  # type: ignore[attr-defined]


def test_missing_fields_is_refused_by_the_server(brp_server, clock) -> None:
    query = {"type": "RaadpleegMetBurgerservicenummer", "burgerservicenummer": [fake.VADER]}
    with pytest.raises(HandlerError, match=r"fields \(required: Parameter is verplicht\.\)"):
        client(brp_server).personen(query)


def test_wrong_api_key_is_a_401(brp_server, clock) -> None:
    with pytest.raises(HandlerError, match=r"401: Niet correct geauthenticeerd\."):
        client(brp_server, api_key="fout").personen(
            raadpleeg_met_bsn([fake.VADER], ["burgerservicenummer"])
        )
    with pytest.raises(HandlerError, match="401"):
        client(brp_server, api_key=None).personen(
            raadpleeg_met_bsn([fake.VADER], ["burgerservicenummer"])
        )


def test_field_outside_the_authorisation_is_a_403(brp_server, clock) -> None:
    brp_server.api_keys["beperkt"] = {"burgerservicenummer", "geboorte"}
    limited = client(brp_server, api_key="beperkt")
    assert limited.personen(raadpleeg_met_bsn([fake.VADER], ["geboorte.datum"]))["personen"]
    with pytest.raises(HandlerError, match="403: U bent niet geautoriseerd"):
        limited.personen(raadpleeg_met_bsn([fake.VADER], list(HUISHOUDEN_PERSOON_FIELDS)))


def test_custom_api_key_header(brp_server, clock) -> None:
    other = client(brp_server, api_key_header="X-Gemeente-Sleutel")
    with pytest.raises(HandlerError, match="401"):
        other.personen(raadpleeg_met_bsn([fake.VADER], ["burgerservicenummer"]))
    assert brp_server.requests[-1].headers["x-gemeente-sleutel"] == API_KEY


def test_connection_refused(clock) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    dead = HaalCentraalBrpClient(
        BrpSettings(base_url=f"http://127.0.0.1:{port}/haalcentraal/api/brp", api_key="x")
    )
    with pytest.raises(HandlerError) as caught:
        BrpService(dead).persoon(fake.VADER, clock.now().date())
    assert str(caught.value).startswith(
        f"BRP niet bereikbaar: geen verbinding met 127.0.0.1:{port}"
    )


def test_time_out(brp_server, clock) -> None:
    brp_server.delay_seconds = 1.0
    slow = client(brp_server, timeout_seconds=0.2)
    with pytest.raises(HandlerError, match=r"^BRP antwoordde niet op tijd \(127\.0\.0\.1:\d+, "):
        slow.personen(raadpleeg_met_bsn([fake.VADER], ["burgerservicenummer"]))


# -- OAuth2 client credentials ------------------------------------------------------------------


def oauth_client(server: fake.FakeBrp, now: list[float], **overrides) -> HaalCentraalBrpClient:
    settings = {
        "base_url": server.base_url,
        "oauth_token_url": server.token_url,
        "oauth_client_id": "stroom",
        "oauth_client_secret": "geheim",
        "oauth_scope": "brp.personen",
        "timeout_seconds": 5.0,
    }
    settings.update(overrides)
    return HaalCentraalBrpClient(BrpSettings(**settings), monotonic=lambda: now[0])


def test_oauth_token_is_fetched_once_and_cached(brp_server, clock) -> None:
    now = [1000.0]
    brp = oauth_client(brp_server, now)
    service = BrpService(brp)
    assert service.huishouden(fake.VADER, None, clock.now().date()).minderjarigen == 2
    service.persoon(fake.MOEDER, clock.now().date())
    assert brp_server.token_requests == 1
    token_request = brp_server.requests[0]
    assert token_request.path == fake.TOKEN_PATH
    assert token_request.form == {"grant_type": "client_credentials", "scope": "brp.personen"}
    assert token_request.headers["authorization"].startswith("Basic ")
    bearer = {r.headers["authorization"] for r in brp_server.personen_requests()}
    assert len(bearer) == 1 and bearer.pop().startswith("Bearer ")
    assert "x-api-key" not in brp_server.personen_requests()[0].headers


def test_oauth_token_is_renewed_before_it_expires(brp_server, clock) -> None:
    brp_server.token_ttl = 300
    now = [0.0]
    brp = oauth_client(brp_server, now)
    brp.personen(raadpleeg_met_bsn([fake.VADER], ["burgerservicenummer"]))
    now[0] = 260.0  # within the 30 s margin
    brp.personen(raadpleeg_met_bsn([fake.VADER], ["burgerservicenummer"]))
    assert brp_server.token_requests == 1
    now[0] = 271.0
    brp.personen(raadpleeg_met_bsn([fake.VADER], ["burgerservicenummer"]))
    assert brp_server.token_requests == 2


def test_revoked_token_is_replaced_once(brp_server, clock) -> None:
    now = [0.0]
    brp = oauth_client(brp_server, now)
    brp.personen(raadpleeg_met_bsn([fake.VADER], ["burgerservicenummer"]))
    brp_server.revoke_tokens()
    answer = brp.personen(raadpleeg_met_bsn([fake.VADER], ["burgerservicenummer"]))
    assert answer["personen"] == [{"burgerservicenummer": fake.VADER}]
    assert brp_server.token_requests == 2


def test_oauth_client_secret_post(brp_server, clock) -> None:
    brp = oauth_client(brp_server, [0.0], oauth_client_auth="post", oauth_scope=None)
    brp.personen(raadpleeg_met_bsn([fake.VADER], ["burgerservicenummer"]))
    assert brp_server.requests[0].form == {
        "grant_type": "client_credentials",
        "client_id": "stroom",
        "client_secret": "geheim",
    }
    assert "authorization" not in brp_server.requests[0].headers


def test_oauth_wrong_secret(brp_server, clock) -> None:
    brp = oauth_client(brp_server, [0.0], oauth_client_secret="fout")
    with pytest.raises(HandlerError) as caught:
        brp.personen(raadpleeg_met_bsn([fake.VADER], ["burgerservicenummer"]))
    message = str(caught.value)
    assert "BRP-token ophalen mislukt: 401 invalid_client" in message
    assert "fout" not in message.replace("Onbekende client of fout geheim.", "")

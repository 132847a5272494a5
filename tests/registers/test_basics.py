"""Ages, the BSN eleven test, input validation and settings."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from app.registers import factory, validation
from app.registers.brp.dates import BrpDatum, leeftijd_op
from app.registers.errors import ConfigurationError, InvalidInput
from app.registers.settings import DEFAULT_TESTDATA, RegisterSettings, load_register_settings
from handlers import HandlerError


@pytest.mark.parametrize(
    ("peildatum", "leeftijd"),
    # The spec's own example (features/.../leeftijd/overzicht.feature): born 29 Feb 1996.
    [("2016-02-28", 19), ("2016-02-29", 20), ("2017-02-28", 20), ("2017-03-01", 21)],
)
def test_age_of_someone_born_on_29_february(peildatum: str, leeftijd: int) -> None:
    born = BrpDatum.parse({"type": "Datum", "datum": "1996-02-29", "langFormaat": "x"})
    assert leeftijd_op(born, date.fromisoformat(peildatum)) == leeftijd


def test_age_with_partial_dates() -> None:
    july_1970 = BrpDatum("JaarMaandDatum", None, 1970, 7)
    assert leeftijd_op(july_1970, date(2026, 3, 2)) == 55
    assert leeftijd_op(july_1970, date(2026, 8, 1)) == 56
    assert leeftijd_op(july_1970, date(2026, 7, 15)) is None  # birth month: uncertain
    assert leeftijd_op(BrpDatum("JaarDatum", None, 1970), date(2026, 3, 2)) is None
    assert leeftijd_op(BrpDatum.parse({"type": "DatumOnbekend"}), date(2026, 3, 2)) is None
    assert leeftijd_op(BrpDatum.parse("1970-01-01"), date(2026, 3, 2)) is None


def test_elfproef() -> None:
    assert validation.elfproef("999990007")
    assert not validation.elfproef("999990008")
    assert not validation.elfproef("000000000")
    assert validation.bsn(" 9999 90007 ") == "999990007"


def test_postcode_normalised() -> None:
    assert validation.postcode("1234 ab") == "1234AB"
    with pytest.raises(InvalidInput, match="'postcode'"):
        validation.postcode("1234 A B")


def test_invalid_input_is_a_handler_error() -> None:
    assert issubclass(InvalidInput, HandlerError)


def test_settings_from_environment() -> None:
    settings = load_register_settings(
        {
            "STROOM_BRP_ADAPTER": "HaalCentraal",
            "STROOM_BRP_BASE_URL": "https://brp.example/haalcentraal/api/brp",
            "STROOM_BRP_API_KEY": "k",
            "STROOM_BRP_OAUTH_TOKEN_URL": "https://idp.example/token",
            "STROOM_BRP_OAUTH_CLIENT_ID": "stroom",
            "STROOM_BRP_OAUTH_CLIENT_SECRET": "s",
            "STROOM_BRP_TIMEOUT": "2.5",
            "STROOM_REGISTERS_TESTDATA": "/tmp/x.json",
        }
    )
    assert settings.brp_adapter == "haalcentraal"
    assert settings.brp.api_key_header == "X-API-KEY"
    assert settings.brp.uses_oauth and settings.brp.timeout_seconds == 2.5
    assert settings.testdata == Path("/tmp/x.json")
    assert "'s'" not in repr(settings.brp)  # the secret stays out of logs
    defaults = load_register_settings({})
    assert defaults.adapter("brp") == defaults.adapter("schuldeisers") == "embedded"
    assert defaults.testdata == DEFAULT_TESTDATA
    with pytest.raises(ConfigurationError, match="STROOM_BRP_TIMEOUT"):
        load_register_settings({"STROOM_BRP_TIMEOUT": "lang"})


def test_unknown_adapter_is_a_clear_error() -> None:
    factory.reset(RegisterSettings(brp_adapter="civision"))
    try:
        with pytest.raises(ConfigurationError, match="STROOM_BRP_ADAPTER='civision' bestaat niet"):
            factory.brp()
        assert factory.check() == [
            "STROOM_BRP_ADAPTER='civision' bestaat niet (wel: embedded, haalcentraal)"
        ]
        factory.reset(RegisterSettings(brp_adapter="haalcentraal"))
        assert "STROOM_BRP_BASE_URL ontbreekt" in factory.check()[0]
    finally:
        factory.reset()


def test_register_and_override_an_adapter(embedded) -> None:
    class Signalen:
        def achterstanden(self, adres):
            return {"achterstanden": [], "aantal": 0}

    factory.register_adapter("schuldeisers", "signalen", lambda s: Signalen())
    try:
        factory.reset(RegisterSettings(schuldeisers_adapter="signalen"))
        assert isinstance(factory.schuldeisers(), Signalen)
        other = Signalen()
        with factory.override("schuldeisers", other):
            assert factory.schuldeisers() is other
        assert factory.schuldeisers() is not other
    finally:
        factory._builders["schuldeisers"].pop("signalen")
        factory.reset()

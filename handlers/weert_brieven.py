"""Weert: the letter announcing AMW's contact (convenant art. 10.4, stroomschema stap 4).

Tenants without a benefit are handed to AMW Midden-Limburg, which receives its list on the
11th. Before that the municipality writes to them: AMW will get in touch, and they may object
(art. 10.4), with their rights under art. 9 and 10.2. The handler composes that letter and
returns it as the case's artefact (kenmerk, date and text); printing and posting are the
municipality's own mail run. The kenmerk is derived from the case, so a retried job produces
the same letter.
"""

from __future__ import annotations

import hashlib
from datetime import date
from typing import Any

from app import clock
from app.calendar.functions import to_local_date
from app.registers import validation
from handlers import HandlerContext, HandlerError, Param, handler

MAANDEN = (
    "januari februari maart april mei juni juli augustus september oktober november december"
).split()
AMW = "Algemeen Maatschappelijk Werk Midden-Limburg (AMWML)"
GEMEENTE = "Gemeente Weert, team Schulddienstverlening, Wilhelminasingel 101, 6001 GS Weert"


def lange_datum(day: date) -> str:
    return f"{day.day} {MAANDEN[day.month - 1]} {day.year}"


def _text(inputs: dict[str, Any], name: str, required: bool = True) -> str:
    value = inputs.get(name)
    if validation.is_absent(value):
        if required:
            raise HandlerError(f"ongeldige invoer '{name}': ontbreekt")
        return ""
    return str(value).strip()


@handler(
    "weert.vooraankondiging",
    inputs={
        "voorletters": Param("voorletters van de huurder"),
        "tussenvoegsel": Param("tussenvoegsel", required=False),
        "achternaam": Param("achternaam van de huurder"),
        "straat": Param("straat"),
        "huisnummer": Param("huisnummer"),
        "huisletter": Param("huisletter", required=False),
        "toevoeging": Param("huisnummertoevoeging", required=False),
        "postcode": Param("postcode"),
        "woonplaats": Param("plaats"),
        "amw_lijst_op": Param("moment waarop AMW de lijst ontvangt (ISO)"),
    },
    outputs={
        "vooraankondiging_kenmerk": Param("kenmerk van de brief"),
        "vooraankondiging_datum": Param("datum van de brief (ISO)"),
        "vooraankondiging_tekst": Param("tekst van de brief"),
    },
)
def vooraankondiging(inputs: dict[str, Any], ctx: HandlerContext) -> dict[str, Any]:
    """Stel de brief op die het contact door AMW aankondigt (art. 10.4)."""
    naam = " ".join(
        part
        for part in (
            _text(inputs, "voorletters"),
            _text(inputs, "tussenvoegsel", required=False),
            _text(inputs, "achternaam"),
        )
        if part
    )
    nummer = _text(inputs, "huisnummer") + _text(inputs, "huisletter", required=False)
    toevoeging = _text(inputs, "toevoeging", required=False)
    if toevoeging:
        nummer += f"-{toevoeging}"
    postcode = validation.postcode(_text(inputs, "postcode"))
    try:
        vanaf = to_local_date(_text(inputs, "amw_lijst_op"))
    except (TypeError, ValueError) as exc:
        raise HandlerError(f"ongeldige invoer 'amw_lijst_op': {exc}") from exc
    vandaag = clock.local(clock.now()).date()
    digest = hashlib.sha256(ctx.instance_id.encode()).hexdigest()[:6].upper()
    kenmerk = f"WRT-VA-{vandaag:%Y-%m}-{digest}"
    tekst = "\n".join(
        [
            GEMEENTE,
            "",
            naam,
            f"{_text(inputs, 'straat')} {nummer}",
            f"{postcode[:4]} {postcode[4:]}  {_text(inputs, 'woonplaats').upper()}",
            "",
            f"Weert, {lange_datum(vandaag)}",
            f"Ons kenmerk: {kenmerk}",
            "Onderwerp: uw huurachterstand; contact met het Algemeen Maatschappelijk Werk",
            "",
            f"Geachte heer of mevrouw {_text(inputs, 'achternaam')},",
            "",
            "Uw verhuurder heeft ons laten weten dat u een huurachterstand heeft. De gemeente "
            "Weert, de woningcorporaties en het Algemeen Maatschappelijk Werk werken samen om "
            "huurders met een achterstand vroeg te helpen, zodat de problemen niet groter worden "
            "(convenant Vroegsignalering huurschulden Weert).",
            "",
            f"Wij zijn van plan uw naam, geboortedatum, adres, telefoonnummer, uw leefsituatie en "
            f"de gebieden waarop u schulden heeft door te geven aan het {AMW}. Een medewerker "
            f"van AMWML neemt vanaf {lange_datum(vanaf)} contact met u op of komt bij u langs.",
            "",
            "Wilt u dit niet? Dan kunt u daartegen bezwaar maken. Neem dan vóór "
            f"{lange_datum(vanaf)} contact op met het team Schulddienstverlening van de gemeente "
            f"Weert en noem het kenmerk {kenmerk}. Wij geven uw gegevens dan niet door.",
            "",
            "U heeft het recht om te weten welke gegevens wij van u verwerken, om ze in te zien "
            "en om ze te laten verbeteren, aanvullen, verwijderen of afschermen. De gemeente "
            "Weert is daarvoor verantwoordelijk en brengt hiervoor geen kosten in rekening.",
            "",
            "Met vriendelijke groet,",
            "",
            "het college van burgemeester en wethouders van Weert,",
            "team Schulddienstverlening",
        ]
    )
    return {
        "vooraankondiging_kenmerk": kenmerk,
        "vooraankondiging_datum": vandaag.isoformat(),
        "vooraankondiging_tekst": tekst,
    }

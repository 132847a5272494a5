"""VNG's DDAS Model Vroegsignalering (uitwisselmodel v1.2): the national vocabulary for
signal outcomes and contact attempts, used so municipalities can report to CBS and partners
learn outcomes in the same words everywhere."""

from __future__ import annotations

END_RESULTS = (
    "(Budget)advies en/of quick fix",
    "Definitief geen contact kunnen krijgen",
    "Geen reactie na eerder contact",
    "Inwoner al bekend bij schuldhulpverlening",
    "Inwoner heeft al een ander lopend traject",
    "Inwoner heeft zelf al betaald/betalingsregeling getroffen",
    "Inwoner is overleden",
    "Inwoner regelt het zelf/hoeft geen hulp vanuit vroegsignalering",
    "Niet opgepakt: andere reden",
    "Niet opgepakt: herhaalde melding",
    "Niet opgepakt: onterecht signaal",
    "Persoon is geen inwoner (meer) in de gemeente",
    "Vervolghulp en/of verwijzing",
    "Vervolghulp en/of verwijzing financieel",
    "Vervolghulp en/of verwijzing niet financieel",
    "Verwijzing zonder tussenkomst inwoner",
)
SIGNAL_STATUSES = (
    "Inwoner al bekend bij schuldhulpverlening",
    "Inwoner is overleden",
    "Niet opgepakt: andere reden",
    "Niet opgepakt: herhaalde melding",
    "Niet opgepakt: onterecht signaal",
    "Nog niet opgepakt",
    "Opgepakt",
    "Persoon is geen inwoner (meer) in de gemeente",
)
CONTACT_KINDS = (
    "Administratief",
    "Afspraak op locatie",
    "Brief",
    "Huisbezoek",
    "Kaartje",
    "Mail",
    "Onbekend",
    "Overige",
    "SMS/Whatsapp",
    "Telefoon",
)
DAY_PARTS = ("Ochtend", "Middag", "Avond")
PARTNER_KINDS = (
    "Belastingdienst",
    "CAK Eigen bijdrage",
    "CAK Zorgverzekeringen",
    "Dienst Toeslagen",
    "DUO",
    "Energie",
    "Huur",
    "Hypotheek",
    "Overige",
    "Water",
    "Zorg",
)

# What the reporting partner may learn of an outcome. The covenants limit feedback to whether
# the signal was picked up (domain.md, "Parties and what they may see"); for "not picked
# up: other reason" the
# partner learns only that, never the reason; results that reveal the resident's situation
# (already known to debt services, deceased, a running trajectory) reach the partner only as
# "picked up" or "not picked up".
FOR_PARTNER = {
    "(Budget)advies en/of quick fix": "Opgepakt",
    "Definitief geen contact kunnen krijgen": "Niet opgepakt: geen contact",
    "Geen reactie na eerder contact": "Niet opgepakt: geen contact",
    "Inwoner al bekend bij schuldhulpverlening": "Opgepakt",
    "Inwoner heeft al een ander lopend traject": "Opgepakt",
    "Inwoner heeft zelf al betaald/betalingsregeling getroffen": "Niet opgepakt: andere reden",
    "Inwoner is overleden": "Niet opgepakt: andere reden",
    "Inwoner regelt het zelf/hoeft geen hulp vanuit vroegsignalering": (
        "Niet opgepakt: inwoner wil geen hulp"
    ),
    "Niet opgepakt: andere reden": "Niet opgepakt: andere reden",
    "Niet opgepakt: herhaalde melding": "Niet opgepakt: herhaalde melding",
    "Niet opgepakt: onterecht signaal": "Niet opgepakt: onterecht signaal",
    "Persoon is geen inwoner (meer) in de gemeente": "Niet opgepakt: andere reden",
    "Vervolghulp en/of verwijzing": "Opgepakt",
    "Vervolghulp en/of verwijzing financieel": "Opgepakt",
    "Vervolghulp en/of verwijzing niet financieel": "Opgepakt",
    "Verwijzing zonder tussenkomst inwoner": "Opgepakt",
}


def for_partner(result: str | None) -> str:
    if not result:
        return "Nog niet opgepakt"
    return FOR_PARTNER.get(result, "Niet opgepakt: andere reden")

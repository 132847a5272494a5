"""The BRP (Haal Centraal BRP Personen Bevragen v2): interface, HTTP client, embedded
register, and the household derivation shared by both."""

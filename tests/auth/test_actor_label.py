"""How an actor of history and audit lines reads on a page (app.auth.principal.actor_label)."""

from __future__ import annotations

import pytest

from app.auth.principal import SYSTEM, actor_label, cli_principal


@pytest.mark.parametrize(
    ("actor", "label"),
    [
        ("user:anna", "anna"),
        ("token:wonen-limburg", "wonen-limburg (koppeling)"),
        (cli_principal().actor, "Stroom (opdrachtregel)"),
        (SYSTEM.actor, "Stroom (automatisch)"),
        ("system:demo", "Stroom (demo)"),
        ("timer", "Stroom (automatisch)"),  # a bare name the engine writes
        ("cli", "Stroom (opdrachtregel)"),
        ("system:nieuw", "Stroom (nieuw)"),
        ("worker:demo-weert", "Stroom (taakverwerker demo-weert)"),
        ("user:a:b", "a:b"),  # only the first colon separates the kind
        ("iemand", "iemand"),
        (None, "onbekend"),
        ("", "onbekend"),
    ],
)
def test_an_actor_reads_as_a_person_or_stroom_itself(actor: str | None, label: str) -> None:
    assert actor_label(actor) == label

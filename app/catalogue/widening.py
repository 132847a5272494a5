"""What a new catalogue lets parties read that the old one did not: the changes the privacy
officer must approve before a process owner may publish them (four eyes).

Every catalogued field is data about a resident's case, hence personal data; a change widens
who may read it when a party reads a field it could not read (a new field included), reads
it in more phases, reads it without the consent it needed (or without the written one), when
a field leaves the special category (gezondheid, AVG art. 9) or becomes process data, or
when a field or a case's history is kept longer. The same holds for the notes other
organisations write on a case (`notities`). A change that only narrows lists nothing."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from app.catalogue.durations import add_duration, is_duration
from app.catalogue.model import Access, Catalogue

# How well a category is protected: the special category most, process data least.
_PROTECTION = {"gezondheid": 2, "proces": 0}
_ORDINARY = 1
_EPOCH = datetime(2000, 1, 1)  # durations compare by what they add to one date


@dataclass(frozen=True)
class Widening:
    kind: str  # lezen, fasen, toestemming, categorie, bewaartermijn
    field: str  # a field's name, or "notities" / "geschiedenis"
    party: str | None
    description: str  # in Dutch, for the privacy officer


def _phases(access: Access, order: list[str]) -> list[str]:
    return order if access.phases is None else [p for p in order if p in access.phases]


def _phase_text(phases: list[str], every: bool) -> str:
    if every:
        return "in alle fasen"
    return ("in fase " if len(phases) == 1 else "in de fasen ") + ", ".join(phases)


def _longer(old: str | None, new: str | None) -> bool:
    """Is `new` a longer period than `old` (no period: kept as long as the rest)?"""
    if not new or not is_duration(new):
        return False
    if not old or not is_duration(old):
        return True  # a period where there was none may well be longer
    return add_duration(_EPOCH, new) > add_duration(_EPOCH, old)


def _reads(
    subject: str,
    label: str,
    old: dict[str, Access],
    new: dict[str, Access],
    names: dict[str, str],
    order: list[str],
) -> list[Widening]:
    found: list[Widening] = []
    for party, access in new.items():
        who = names.get(party, party)
        before = old.get(party)
        if before is None:
            where = _phase_text(_phases(access, order), access.phases is None)
            found.append(
                Widening("lezen", subject, party, f"{who} mag {label} lezen {where} (nieuw).")
            )
            continue
        gained = (
            []
            if before.phases is None
            else [p for p in _phases(access, order) if p not in before.phases]
        )
        if gained or (access.phases is None and before.phases is not None):
            found.append(
                Widening(
                    "fasen",
                    subject,
                    party,
                    f"{who} mag {label} voortaan ook lezen {_phase_text(gained, False)}."
                    if gained and access.phases is not None
                    else f"{who} mag {label} voortaan lezen in alle fasen "
                    f"(was: {', '.join(_phases(before, order)) or 'geen'}).",
                )
            )
        if before.consent and not access.consent:
            found.append(
                Widening(
                    "toestemming",
                    subject,
                    party,
                    f"{who} mag {label} lezen zonder toestemming "
                    f"(was: alleen met toestemming {before.consent}).",
                )
            )
        elif before.consent and access.consent != before.consent:
            found.append(
                Widening(
                    "toestemming",
                    subject,
                    party,
                    f"{who} mag {label} lezen met toestemming {access.consent} "
                    f"in plaats van {before.consent}.",
                )
            )
        elif before.written and not access.written:
            found.append(
                Widening(
                    "toestemming",
                    subject,
                    party,
                    f"{who} mag {label} lezen zonder schriftelijke toestemming "
                    f"(was: alleen met schriftelijke toestemming {before.consent}).",
                )
            )
    return found


def widenings(old: Catalogue, new: Catalogue) -> list[Widening]:
    """Every way `new` widens who may read personal data compared with `old`, in the order
    of the new catalogue's fields."""
    names = {key: str(info.get("naam") or key) for key, info in new.parties.items()}
    order = list(new.phases)
    found: list[Widening] = []
    for name, field in new.fields.items():
        label = f"veld {name}"
        before = old.fields.get(name)
        found += _reads(name, label, before.read if before else {}, field.read, names, order)
        if before is None:
            continue
        was = _PROTECTION.get(before.category, _ORDINARY)
        if _PROTECTION.get(field.category, _ORDINARY) < was:
            found.append(
                Widening(
                    "categorie",
                    name,
                    None,
                    f"{label} is minder beschermd: categorie {field.category} "
                    f"(was: {before.category}).",
                )
            )
        if _longer(before.retention, field.retention):
            found.append(
                Widening(
                    "bewaartermijn",
                    name,
                    None,
                    f"{label} wordt langer bewaard: {field.retention} (was: {before.retention}).",
                )
            )
    found += _reads("notities", "de notities", old.notes_read, new.notes_read, names, order)
    if _longer(old.history_retention, new.history_retention) or (
        old.history_retention and not new.history_retention
    ):
        found.append(
            Widening(
                "bewaartermijn",
                "geschiedenis",
                None,
                "De geschiedenis van een zaak wordt langer bewaard: "
                f"{new.history_retention or 'tot het laatste veld vervalt'} "
                f"(was: {old.history_retention}).",
            )
        )
    return found

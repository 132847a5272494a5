"""The scope of a manager: the instances their organisation plays a party in, the same
whichever SQL form filters them (a semi-join, or a probe per row), on every query that uses
it, and never a row twice when the organisation plays two parts in one case."""

from __future__ import annotations

import pytest
from sqlalchemy import select, text

from app.auth.models import Organisation
from app.engine.models import InstanceParty, ProcessInstance
from app.manage import stuck
from app.manage.heatmap import waits
from app.manage.scope import Scope


def org_ids(db) -> dict[str, int]:  # type: ignore[no-untyped-def]
    with db.session() as session:
        return dict(session.execute(select(Organisation.key, Organisation.id)).all())


def members(db, org: int) -> set[str]:  # type: ignore[no-untyped-def]
    """The instances the organisation plays a party in, counted directly."""
    with db.session() as session:
        return set(
            session.scalars(
                text("SELECT instance_id FROM instance_party WHERE organisation_id = :o"),
                {"o": org},
            )
        )


@pytest.fixture
def double_part(db, scenario) -> None:  # type: ignore[no-untyped-def]
    """Weert also reported TE-LAAT: it plays two parties in that case."""
    with db.transaction() as session:
        session.add(
            InstanceParty(
                instance_id=scenario.ids["TE-LAAT"],
                party="melder",
                organisation_id=org_ids(db)["weert-sdv"],
                group_key="weert-sdv",
            )
        )


def test_both_forms_select_the_organisations_instances(db, scenario, double_part) -> None:
    for key, org in org_ids(db).items():
        expected = members(db, org)
        with db.session() as session:
            for per_row in (False, True):
                query = Scope(org).apply(
                    select(ProcessInstance.id), ProcessInstance.id, per_row=per_row
                )
                found = session.scalars(query).all()
                assert len(found) == len(set(found)), (key, per_row)  # no row twice
                assert set(found) == expected, (key, per_row)
    assert members(db, org_ids(db)["weert-sdv"]) == {
        scenario.ids[k] for k in ("TE-LAAT", "STIL", "BERICHT", "RISICO", "STORING")
    }


def test_every_reason_lists_exactly_the_organisations_rows(db, scenario, double_part) -> None:
    """Each reason's rows in a scope are the unscoped rows of the organisation's instances,
    once each."""
    with db.session() as session:
        everything = stuck.all_rows(session, Scope(None))
        for key, org in org_ids(db).items():
            mine = members(db, org)
            scoped = stuck.all_rows(session, Scope(org))
            assert [(r.reason, r.instance_id, r.element_id) for r in scoped] == [
                (r.reason, r.instance_id, r.element_id) for r in everything if r.instance_id in mine
            ], key
            counts = stuck.counts(session, Scope(org))
            assert sum(counts.values()) == len(scoped), key


def test_heatmap_waits_in_scope(db, scenario, double_part) -> None:
    with db.session() as session:
        version_id = session.scalar(
            select(ProcessInstance.version_id).where(
                ProcessInstance.definition_key == "test_toezicht"
            )
        )
        everything = sorted(session.execute(waits(version_id, Scope(None))).all())
        for org in org_ids(db).values():
            mine = members(db, org)
            scoped = sorted(session.execute(waits(version_id, Scope(org))).all())
            assert scoped == [w for w in everything if w.instance_id in mine]

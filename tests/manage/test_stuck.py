"""The stuck list: each kind of trouble with the right reason, per organisation, with limits
per process, activity and municipality; retrying a fixed incident continues the case."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from app.engine.jobs import run_due_jobs
from app.engine.models import HumanTask, Incident, ProcessInstance
from app.manage import actions, stuck
from app.manage.limits import IDLE, LimitExpression, Limits, WorkingDays
from app.manage.scope import Scope
from tests.manage.support import NOW, org_id, set_limits
from tests.support import handlers
from tests.support.orgs import user


def reasons(db, scope: Scope, **filters) -> dict[str, set[str]]:
    """business key -> the reasons it is listed with."""
    with db.session() as session:
        keys = dict(session.execute(select(ProcessInstance.id, ProcessInstance.business_key)).all())
        found: dict[str, set[str]] = {}
        for row in stuck.all_rows(session, scope, stuck.Filters(**filters)):
            found.setdefault(keys[row.instance_id], set()).add(row.reason)
        return found


def test_each_kind_of_trouble_is_listed_with_its_reason(db, scenario) -> None:
    assert reasons(db, Scope(org_id(db, "weert-sdv"))) == {
        "STORING": {"storing"},
        "TE-LAAT": {"te-laat"},
        "RISICO": {"risico"},
        "STIL": {"stil"},
        "BERICHT": {"bericht"},
    }


def test_rows_say_why_since_when_and_who_holds_the_case(db, scenario) -> None:
    with db.session() as session:
        result = stuck.stuck_list(session, Scope(org_id(db, "weert-sdv")))
    rows = {row.business_key: row for row in result.rows}
    assert result.counts == {
        "storing": 1,
        "timer": 0,
        "te-laat": 1,
        "risico": 1,
        "bericht": 1,
        "stil": 1,
        "opgeschort": 0,
    }
    late = rows["TE-LAAT"]
    assert late.label == "Termijn verstreken" and late.element_name == "Beoordelen"
    assert late.days == 2 and late.since == late.due  # overdue since its due date
    assert late.holders == ["Schuldhulp Weert"]  # the team: nobody has claimed it
    risk = rows["RISICO"]
    assert risk.days == 1 and risk.limit == 2
    idle = rows["STIL"]
    # Nabellen has its own limit (3) instead of the process's (10); 7 working days idle.
    assert idle.days == 7 and idle.limit == 3 and idle.holders == ["Schuldhulp Weert"]
    message = rows["BERICHT"]
    assert message.detail == "betalingsregeling" and message.days == 7 and message.limit == 5
    failure = rows["STORING"]
    assert "onbereikbaar" in failure.detail and failure.element_name == "Register raadplegen"
    assert failure.holders == []
    # The list order: failures first, then late, at risk, messages, idle.
    assert [r.reason for r in result.rows] == ["storing", "te-laat", "risico", "bericht", "stil"]


def test_a_claimed_task_is_held_by_its_assignee(db, scenario) -> None:
    from app.engine import service

    with db.transaction() as session:
        task = session.scalars(
            select(HumanTask).where(HumanTask.instance_id == scenario.ids["TE-LAAT"])
        ).one()
        service.claim_task(session, task.id, "bob", "user:bob")
    with db.session() as session:
        result = stuck.stuck_list(
            session, Scope(org_id(db, "weert-sdv")), stuck.Filters(reason="te-laat")
        )
    assert result.rows[0].holders == ["Bob"]


def test_retrying_the_fixed_incident_continues_the_instance(db, scenario, settings) -> None:
    handlers.FAILURES["STORING"] = 0  # the registry is back
    principal = user(db, "olga", "beheer", roles=("beheerder",), groups=())
    with db.session() as session:
        incident = session.scalars(select(Incident)).one()
        ctx = actions.Context(db, session, principal, settings.secret_key)
        actions.retry(ctx, scenario.ids["STORING"], incident.id, "register weer bereikbaar")
    assert run_due_jobs(db, settings, "test") == 1
    with db.session() as session:
        row = session.get(ProcessInstance, scenario.ids["STORING"])
        assert row.status == "waiting"
        assert session.scalars(
            select(HumanTask.element_id).where(HumanTask.instance_id == row.id)
        ).all() == ["kijken"]
    assert "STORING" not in reasons(db, Scope(None))


def test_managers_see_their_own_organisation_operators_see_all(db, scenario) -> None:
    weert, roermond = org_id(db, "weert-sdv"), org_id(db, "roermond-sdv")
    assert "ANDERS" not in reasons(db, Scope(weert))
    assert reasons(db, Scope(roermond)) == {"ANDERS": {"risico"}}
    everything = reasons(db, Scope(None))
    assert set(everything) == {"STORING", "TE-LAAT", "RISICO", "STIL", "BERICHT", "ANDERS"}


def test_filters_by_process_and_reason(db, scenario) -> None:
    assert reasons(db, Scope(None), process="test_jobs") == {"STORING": {"storing"}}
    assert set(reasons(db, Scope(None), reason="risico")) == {"RISICO", "ANDERS"}


def test_a_municipality_sets_its_own_limits(db, scenario) -> None:
    # Weert allows 10 working days at `nabellen`, and only 3 for messages... then 9.
    set_limits(
        db,
        ("weert", "max_wachttijd_werkdagen_nabellen", 10),
        ("weert", "max_berichtwachttijd_werkdagen", 9),
        ("weert", "risico_werkdagen", 0),  # 0: not checked
    )
    found = reasons(db, Scope(None))
    assert "STIL" not in found and "BERICHT" not in found and "RISICO" not in found
    assert found["ANDERS"] == {"risico"}  # Roermond keeps the covenant's 2 days


def test_the_sql_limit_and_the_limit_per_row_agree(db, scenario) -> None:
    """LimitExpression (in the queries) and Limits.get (on the page) resolve a limit the
    same way, whatever level it is set at."""
    from sqlalchemy import literal_column

    version_id = set_limits(db, ("roermond", "max_wachttijd_werkdagen", 7))
    days = WorkingDays(NOW)
    with db.session() as session:
        limits = Limits(session)
        expression = LimitExpression(limits, IDLE)
        for municipality in ("weert", "roermond", None):
            for element in ("beoordelen", "nabellen", "onbekend"):
                expected = limits.get(version_id, "test_toezicht", municipality, IDLE, element)
                sql = expression.expression(
                    lambda n: days.idle_cutoff(n) if n else stuck.NEVER,
                    literal_column(str(version_id)),
                    literal_column("NULL")
                    if municipality is None
                    else literal_column(f"'{municipality}'"),
                    literal_column(f"'{element}'"),
                )
                got = session.scalar(select(sql))
                assert got == days.idle_cutoff(expected), (municipality, element)
        assert limits.get(version_id, "test_toezicht", "roermond", IDLE, "nabellen") == 3
        assert limits.get(version_id, "test_toezicht", "roermond", IDLE, "beoordelen") == 7
        assert limits.get(version_id, "test_toezicht", "weert", IDLE, "beoordelen") == 10


def test_suspended_cases_are_listed_and_not_counted_idle(db, scenario, settings) -> None:
    principal = user(db, "olga", "beheer", roles=("beheerder",), groups=())
    with db.session() as session:
        ctx = actions.Context(db, session, principal, settings.secret_key)
        actions.change_state(ctx, "opschorten", scenario.ids["STIL"], "wacht op bewindvoerder")
    found = reasons(db, Scope(None))
    assert found["STIL"] == {"opgeschort"}


def test_a_timer_the_scheduler_missed_is_reported(db, scenario) -> None:
    # Fifteen days on, nobody ran the scheduler: BERICHT's 14-day term should have fired.
    scenario.clock.set(NOW + timedelta(days=15))
    assert "timer" in reasons(db, Scope(None))["BERICHT"]


def test_pages_follow_the_list_order(db, scenario) -> None:
    with db.session() as session:
        everything = stuck.all_rows(session, Scope(None))
        first = stuck.stuck_list(session, Scope(None), page=1, size=2)
        paged = list(first.rows)
        for number in range(2, first.pages + 1):
            paged += stuck.stuck_list(session, Scope(None), page=number, size=2).rows
        # Beyond the last page: the last page.
        last = stuck.stuck_list(session, Scope(None), page=first.pages + 3, size=2)
        assert last.page == first.pages
    assert [(r.reason, r.instance_id) for r in paged] == [
        (r.reason, r.instance_id) for r in everything
    ]


def test_the_page_for_each_role(db, scenario, login) -> None:
    page = login("mia").get("/processen/")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    for text in (
        "Storing",
        "Termijn verstreken",
        "Termijn in gevaar",
        "Bericht blijft uit",
        "Geen voortgang",
        "TE-LAAT",
        "2 werkdagen te laat",
        "7 werkdagen geen voortgang",
    ):
        assert text in html
    assert "ANDERS" not in html
    operator = login("olaf").get("/processen/?reden=risico").get_data(as_text=True)
    assert "ANDERS" in operator and "TE-LAAT" not in operator
    assert login("bob").get("/processen/").status_code == 403
    owner = login("pim").get("/processen/")
    assert owner.status_code == 302 and owner.headers["Location"].endswith("/processen/overzicht")


def test_the_tab_counts_agree_with_the_rows(db, scenario) -> None:
    """Late tasks are counted on the task rows alone (stuck._Queries.counted); every count
    still equals the rows listed, for every scope and process filter, also with more late
    tasks in other organisations' cases and a process without any."""
    scenario.clock.set(NOW + timedelta(days=15))
    scopes = [Scope(None), Scope(org_id(db, "weert-sdv")), Scope(-1), Scope(None, "weert")]
    for scope in scopes:
        for process in (None, "test_jobs", "test_simple", "bestaat_niet"):
            filters = stuck.Filters(process=process)
            with db.session() as session:
                counts = stuck.counts(session, scope, filters)
                rows = stuck.all_rows(session, scope, filters)
            listed = {reason: 0 for reason in stuck.REASONS}
            for row in rows:
                listed[row.reason] += 1
            assert counts == listed, (scope, process)
    with db.session() as session:
        assert stuck.counts(session, Scope(None))["te-laat"] >= 1


def test_a_case_waiting_only_for_a_signal_is_listed_as_idle(db, clock, tmp_path) -> None:
    """A case that waits for nothing a person, the worker, a timer or a message brings (here a
    BPMN signal) was in no list at all: past the process's limit it is idle."""
    from tests.support.camunda import write_diagram
    from tests.support.engine import deploy_paths, start

    xml = """<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" id="d"
    targetNamespace="t">
  <bpmn:signal id="sig" name="herstart" />
  <bpmn:process id="signaalwacht" isExecutable="true">
    <bpmn:startEvent id="s" />
    <bpmn:intermediateCatchEvent id="wacht"><bpmn:signalEventDefinition signalRef="sig" />
    </bpmn:intermediateCatchEvent>
    <bpmn:endEvent id="e" />
    <bpmn:sequenceFlow id="f1" sourceRef="s" targetRef="wacht" />
    <bpmn:sequenceFlow id="f2" sourceRef="wacht" targetRef="e" />
  </bpmn:process>
</bpmn:definitions>"""
    path = write_diagram(tmp_path, "signaalwacht", xml)
    catalogue = path.with_name("signaalwacht.catalogus.yaml")
    catalogue.write_text(
        catalogue.read_text()
        + "instellingen:\n  max_wachttijd_werkdagen:\n    waarde: 5\n"
        + "    omschrijving: Zoveel werkdagen mag een zaak zonder voortgang zijn\n"
    )
    deploy_paths(db, path)
    start(db, "signaalwacht", "SIG-1", {})
    assert reasons(db, Scope()) == {}
    clock.advance(timedelta(days=10))  # Monday 2 March + 10 days: past 5 working days
    assert reasons(db, Scope()) == {"SIG-1": {"stil"}}


def test_only_a_boundary_timer_puts_a_case_at_risk(db, scenario) -> None:
    """A timer due within the risk horizon is a term only on a boundary event (the term of
    the activity it is attached to); any other timer is not, however soon it is due. The
    per-row limit says so, and the list also drops such timers on the timer's own index row
    before it reads their case (stuck._among): the rows and the counts agree either way."""
    import uuid

    from app import clock as clock_module
    from app.engine.models import Timer

    scope = Scope(org_id(db, "weert-sdv"))
    with db.session() as session:
        case = session.scalars(
            select(ProcessInstance).where(ProcessInstance.business_key == "BERICHT")
        ).one()
        built = stuck._Queries(session, scope, stuck.Filters(), clock_module.now())
        boundary = sorted(built._elements_of_type("boundaryEvent")[case.version_id])[0]
        case_id = case.id

    def at_risk() -> tuple[int, list[str | None]]:
        with db.session() as session:
            count = stuck.counts(session, scope)["risico"]
            rows = stuck.all_rows(session, scope, stuck.Filters(reason="risico"))
        return count, sorted(r.element_id or "" for r in rows if r.instance_id == case_id)

    def timer(element: str) -> None:
        now = clock_module.now()
        with db.transaction() as session:
            session.add(
                Timer(
                    instance_id=case_id,
                    spiff_task_id=str(uuid.uuid4()),
                    element_id=element,
                    name="Binnenkort",
                    kind="date",
                    due_at=now + timedelta(hours=2),
                    status="waiting",
                    created_at=now,
                )
            )

    count, elements = at_risk()
    timer("tussentijds_wachten")  # not on any boundary, due in two hours
    assert at_risk() == (count, elements)
    timer(boundary)
    assert at_risk() == (count + 1, sorted([*elements, boundary]))

"""The heatmap and the deadline performance page (with its CSV downloads) agree with a
direct count in the database, for an organisation's manager and for the process owner."""

from __future__ import annotations

import csv
import io
import re
from collections import Counter, defaultdict
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import select, text

from app.clock import local
from app.engine import service
from app.engine.models import ProcessInstance, ProcessVersion
from app.engine.runtime import load_workflow
from app.engine.timers import fire_due_timers
from app.manage.limits import WorkingDays
from tests.manage.pages import html, json_script
from tests.manage.support import HERE, NOW, org_id
from tests.support.engine import deploy_paths

# -- heatmap ----------------------------------------------------------------------------------

# Every open wait state of a version's instances: the heatmap's definition, written out.
WAITS = """
    SELECT w.instance_id, w.element_id, w.since FROM (
        SELECT instance_id, element_id, created_at AS since FROM human_task
            WHERE status = 'open'
        UNION ALL SELECT instance_id, element_id, created_at FROM job
            WHERE status IN ('pending', 'incident')
        UNION ALL SELECT instance_id, element_id, created_at FROM timer
            WHERE status = 'waiting'
        UNION ALL SELECT instance_id, element_id, created_at FROM message_subscription
            WHERE status = 'waiting'
        UNION ALL SELECT instance_id, element_id, created_at FROM incident
            WHERE status = 'open' AND element_id IS NOT NULL
    ) w
    JOIN process_instance p ON p.id = w.instance_id
    WHERE p.version_id = :version
      AND (CAST(:org AS INTEGER) IS NULL OR EXISTS (
            SELECT 1 FROM instance_party ip
            WHERE ip.instance_id = p.id AND ip.organisation_id = CAST(:org AS INTEGER)))
"""


INCIDENTS = """
    SELECT i.element_id, COUNT(DISTINCT i.instance_id) FROM incident i
    JOIN process_instance p ON p.id = i.instance_id
    WHERE p.version_id = :version AND i.status = 'open' AND i.element_id IS NOT NULL
      AND (CAST(:org AS INTEGER) IS NULL OR EXISTS (
            SELECT 1 FROM instance_party ip
            WHERE ip.instance_id = p.id AND ip.organisation_id = CAST(:org AS INTEGER)))
    GROUP BY i.element_id
"""


def direct_heatmap(db, version_id: int, org: int | None) -> dict[str, dict[str, int]]:  # type: ignore[no-untyped-def]
    """Per element: how many instances wait there, the longest wait and how many have an
    open incident there, counted straight from the tables."""
    with db.session() as session:
        failing = dict(session.execute(text(INCIDENTS), {"version": version_id, "org": org}).all())
        elements = session.get(ProcessVersion, version_id).elements
        first: dict[tuple[str, str], datetime] = {}
        for instance_id, element_id, since in session.execute(
            text(WAITS), {"version": version_id, "org": org}
        ):
            if elements[element_id]["type"] in ("boundaryEvent", "startEvent"):
                continue  # only listening while the activity it belongs to waits
            if isinstance(since, str):  # SQLite hands text back from a raw query
                since = datetime.fromisoformat(since).replace(tzinfo=UTC)
            key = (element_id, instance_id)
            first[key] = min(first.get(key, since), since)
    days = WorkingDays(NOW)
    found: dict[str, dict[str, int]] = {}
    for (element_id, _instance), since in first.items():
        spot = found.setdefault(
            element_id, {"count": 0, "longest": 0, "incidents": failing.get(element_id, 0)}
        )
        spot["count"] += 1
        spot["longest"] = max(spot["longest"], days.since(since))
    return found


def page_heatmap(page: str) -> dict[str, dict[str, int]]:
    found = {}
    for element_id, cells in re.findall(
        r'<tr class="utrecht-table__row" data-element="([^"]+)">(.*?)</tr>', page, re.S
    ):
        values = re.findall(r"<td[^>]*>([^<]*)</td>", cells)
        found[element_id] = {
            "count": int(values[1]),
            "longest": int(values[4]),
            "incidents": int(values[2]),
        }
    return found


def version_of(db, process: str) -> int:  # type: ignore[no-untyped-def]
    with db.session() as session:
        return session.scalar(
            select(ProcessInstance.version_id).where(ProcessInstance.definition_key == process)
        )


def test_heatmap_numbers_equal_a_direct_count(db, scenario, login) -> None:
    version_id = version_of(db, "test_toezicht")
    # A second waiting case at `nabellen`, to have more than one count per activity.
    scenario.clock.set(NOW - timedelta(days=1))
    scenario.start("test_toezicht", "NABELLEN-2", {"bedrag": 120})
    scenario.jobs()
    scenario.complete("NABELLEN-2", "beoordelen", {"akkoord": False})
    scenario.clock.set(NOW)
    for who, org in (("mia", org_id(db, "weert-sdv")), ("pim", None)):
        response = login(who).get("/processen/warmtekaart/test_toezicht")
        assert response.status_code == 200
        page = html(response)
        shown = page_heatmap(page)
        assert shown == direct_heatmap(db, version_id, org), who
        heat = json_script(page, "diagram-gegevens")["heat"]
        assert {k: v["count"] for k, v in heat.items()} == {k: v["count"] for k, v in shown.items()}
        total = sum(v["count"] for v in shown.values())
        zaken = "zaak" if total == 1 else "zaken"
        assert f"{len(shown)} activiteiten met wachtende zaken ({total} {zaken})" in page
    # And what that count is, in the scenario's own words.
    weert = page_heatmap(html(login("mia").get("/processen/warmtekaart/test_toezicht")))
    assert {k: v["count"] for k, v in weert.items()} == {
        "beoordelen": 2,  # TE-LAAT and RISICO
        "nabellen": 2,  # STIL and NABELLEN-2
        "wachten": 1,  # BERICHT (its boundary timer only listens)
    }
    assert weert["nabellen"]["longest"] == 7  # STIL, since Monday 2 March
    everything = page_heatmap(html(login("pim").get("/processen/warmtekaart/test_toezicht")))
    assert everything["beoordelen"]["count"] == 3  # and ANDERS of Roermond


def test_the_heatmap_counts_cases_stopped_by_an_incident(db, scenario, login) -> None:
    """A script that failed leaves no task, job or timer: the case still stands at that
    activity, and the heatmap counts it there, as an incident."""
    deploy_paths(db, HERE / "fixtures" / "herstel.bpmn")
    failing = scenario.start("test_herstel", "H-1", {"bedrag": 600})  # no `maanden`
    scenario.start("test_herstel", "H-2", {"bedrag": 600, "maanden": 6})
    page = html(login("mia").get("/processen/warmtekaart/test_herstel"))
    shown = page_heatmap(page)
    assert shown == direct_heatmap(db, version_of(db, "test_herstel"), org_id(db, "weert-sdv"))
    assert shown["maandbedrag"] == {"count": 1, "longest": 0, "incidents": 1}
    assert shown["bellen"]["incidents"] == 0 and shown["bellen"]["count"] == 1
    heat = json_script(page, "diagram-gegevens")["heat"]
    assert heat["maandbedrag"]["incidents"] == 1
    # The job incident of the scenario's STORING case, counted at its activity too.
    jobs = page_heatmap(html(login("pim").get("/processen/warmtekaart/test_jobs")))
    assert jobs["register"]["incidents"] == 1
    with db.session() as session:
        assert session.get(ProcessInstance, failing).status == "error"


# -- deadline performance ---------------------------------------------------------------------

TASK_DEADLINES = """
    SELECT t.element_id, t.due_at, t.completed_at, t.status FROM human_task t
    JOIN process_instance p ON p.id = t.instance_id
    WHERE t.definition_key = :process AND t.due_at IS NOT NULL AND t.status <> 'cancelled'
      AND (CAST(:org AS INTEGER) IS NULL OR EXISTS (
            SELECT 1 FROM instance_party ip
            WHERE ip.instance_id = p.id AND ip.organisation_id = CAST(:org AS INTEGER)))
"""
TIMER_DEADLINES = """
    SELECT t.element_id, t.due_at, t.status FROM timer t
    JOIN process_instance p ON p.id = t.instance_id
    WHERE p.definition_key = :process AND p.status <> 'cancelled' AND t.kind <> 'cycle'
      AND t.element_id = 'termijn'
      AND (CAST(:org AS INTEGER) IS NULL OR EXISTS (
            SELECT 1 FROM instance_party ip
            WHERE ip.instance_id = p.id AND ip.organisation_id = CAST(:org AS INTEGER)))
"""
INSTANCES = """
    SELECT p.id, p.version_id, p.status, p.started_at, p.ended_at, p.state
    FROM process_instance p
    WHERE p.definition_key = :process
      AND (CAST(:org AS INTEGER) IS NULL OR EXISTS (
            SELECT 1 FROM instance_party ip
            WHERE ip.instance_id = p.id AND ip.organisation_id = CAST(:org AS INTEGER)))
"""
ENDS = {
    "einde": "Regeling getroffen",
    "einde_termijn": "Geen regeling",
    "einde_nabellen": "Nagebeld",
}


def _moment(value: Any) -> datetime | None:
    if value is None or isinstance(value, datetime):
        return value if value is None or value.tzinfo else value.replace(tzinfo=UTC)
    return datetime.fromisoformat(value).replace(tzinfo=UTC)


def month(value: datetime) -> str:
    return local(value).strftime("%Y-%m")


def direct_performance(db, org: int | None, now: datetime, months: list[str]) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    """The CSVs' rows, counted straight from the tables (and, for the end event reached,
    from each instance's task tree)."""
    met: Counter = Counter()
    missed: Counter = Counter()
    started: Counter = Counter()
    completed: Counter = Counter()
    cancelled: Counter = Counter()
    per_end: dict[str, Counter] = defaultdict(Counter)
    params = {"process": "test_toezicht", "org": org}
    with db.session() as session:
        for element_id, due, done_at, status in session.execute(text(TASK_DEADLINES), params):
            due, done_at = _moment(due), _moment(done_at)
            label = "Taak: " + {"beoordelen": "Beoordelen", "nabellen": "Nabellen"}[element_id]
            if status == "completed":
                (met if done_at <= due else missed)[(month(due), label)] += 1
            elif due < now:
                missed[(month(due), label)] += 1
        for _element_id, due, status in session.execute(text(TIMER_DEADLINES), params):
            due = _moment(due)
            label = "Termijn: Termijn verstreken"
            if status == "done" or (status == "waiting" and due < now):
                missed[(month(due), label)] += 1
            elif status == "cancelled":
                met[(month(due), label)] += 1
        for _id, version_id, status, start, end, state in session.execute(
            text(INSTANCES), params
        ).all():
            started[month(_moment(start))] += 1
            if status == "cancelled":
                cancelled[month(_moment(end))] += 1
            elif status == "completed":
                completed[month(_moment(end))] += 1
                workflow = load_workflow(session, version_id, state)
                for task in workflow.get_tasks():
                    spec = getattr(task.task_spec, "bpmn_id", None)
                    if spec in ENDS and task.state == 64:  # COMPLETED
                        per_end[ENDS[spec]][month(_moment(end))] += 1
    deadlines = []
    for key in sorted(set(met) | set(missed), key=lambda k: (k[0], k[1].lower())):
        total = met[key] + missed[key]
        share = round(100 * met[key] / total, 1)
        deadlines.append([key[0], key[1], str(met[key]), str(missed[key]), str(share)])
    return {
        "termijnen": deadlines,
        "doorstroom": [[m, str(started[m]), str(completed[m]), str(cancelled[m])] for m in months],
        "uitkomsten": [
            [m, label, str(per_end[label][m])]
            for m in months
            for label in ENDS.values()
            if per_end[label][m]
        ],
    }


def download(client, chart: str, months: list[str]) -> list[list[str]]:  # type: ignore[no-untyped-def]
    response = client.get(
        f"/processen/prestaties/test_toezicht/{chart}.csv",
        query_string={"van": months[0], "tot": months[-1]},
    )
    assert response.status_code == 200
    assert response.headers["Content-Disposition"].startswith("attachment;")
    body = response.get_data(as_text=True).lstrip("\ufeff")
    rows = list(csv.reader(io.StringIO(body), delimiter=";"))
    return rows[1:]


def table(page: str, title: str) -> list[list[str]]:
    """The rows of the data table under one chart, as shown (months as their label)."""
    section = page.split(f'id="grafiek-{title}-titel"', 1)[1].split("</section>", 1)[0]
    body = section.split("<tbody", 1)[1]
    return [
        [" ".join(c.split()) for c in re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)]
        for row in re.findall(r"<tr[^>]*>(.*?)</tr>", body, re.S)
    ]


def test_deadline_performance_and_csv_equal_a_direct_count(db, scenario, login) -> None:
    from app.manage.charts import month_label

    s = scenario
    # March, on the 11th: RISICO's assessment done in time; BERICHT's arrangement arrives
    # before its 14-day term (the term met, the case completed); STIL cancelled.
    s.complete("RISICO", "beoordelen", {"akkoord": False})
    with db.transaction() as session:
        service.deliver_message(session, "betalingsregeling", "BERICHT", {}, "test")
        service.cancel_instance(session, s.ids["STIL"], "test", "verhuisd")
    # April: a case whose assessment is late and whose term runs out.
    s.clock.set(datetime(2026, 4, 1, 7, 0, tzinfo=UTC))
    s.start("test_toezicht", "APRIL", {"bedrag": 640})
    s.jobs()
    s.clock.set(datetime(2026, 4, 13, 7, 0, tzinfo=UTC))
    s.complete("APRIL", "beoordelen", {"akkoord": True})
    s.clock.set(datetime(2026, 4, 28, 7, 0, tzinfo=UTC))
    assert fire_due_timers(db, 10) == 1
    now = s.clock.now()
    months = ["2026-02", "2026-03", "2026-04"]

    for who, org in (("mia", org_id(db, "weert-sdv")), ("pim", None)):
        client = login(who)
        expected = direct_performance(db, org, now, months)
        for chart in ("termijnen", "doorstroom", "uitkomsten"):
            assert download(client, chart, months) == expected[chart], (who, chart)
        page = html(
            client.get(
                "/processen/prestaties/test_toezicht",
                query_string={"van": "2026-02", "tot": "2026-04"},
            )
        )
        for chart in ("termijnen", "doorstroom", "uitkomsten"):
            shown = table(page, chart)
            want = [[month_label(r[0]), *r[1:]] for r in expected[chart]]
            assert shown == want, (who, chart)
        configs = {key: json_script(page, f"grafiek-{key}") for key in ("termijnen", "doorstroom")}
        started = configs["doorstroom"]["data"]["datasets"][0]["data"]
        assert started == [int(r[1]) for r in expected["doorstroom"]]

    # In the scenario's own words, for Weert.
    weert = direct_performance(db, org_id(db, "weert-sdv"), now, months)
    assert weert["termijnen"] == [
        # TE-LAAT late (open after 9 March); STIL, BERICHT, RISICO in time.
        ["2026-03", "Taak: Beoordelen", "3", "1", "75.0"],
        # BERICHT's arrangement came before its term (16 March).
        ["2026-03", "Termijn: Termijn verstreken", "1", "0", "100.0"],
        # APRIL: assessed on the 13th, due the 8th; its term ran out on the 27th.
        ["2026-04", "Taak: Beoordelen", "0", "1", "0.0"],
        ["2026-04", "Termijn: Termijn verstreken", "0", "1", "0.0"],
    ]
    assert weert["doorstroom"] == [
        ["2026-02", "0", "0", "0"],
        ["2026-03", "4", "1", "1"],
        ["2026-04", "1", "1", "0"],
    ]
    assert weert["uitkomsten"] == [
        ["2026-03", "Regeling getroffen", "1"],
        ["2026-04", "Geen regeling", "1"],
    ]

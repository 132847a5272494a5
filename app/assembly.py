"""Where the domains plug into the engine (app/engine/hooks.py): the functions diagrams may
call, the checks at deploy, what happens to data entering a case, at its end, at erasure and
on the worker's clock. One place, called by the web app, the command line and the tests;
installing twice changes nothing.
"""

from __future__ import annotations

RETENTION_SECONDS = 3600  # retention periods are months and years: hourly is plenty
DRAFT_SWEEP_SECONDS = 300  # drafts of tasks closed other than by completing them
# The stuck list's facts of changed instances (app/manage/stuck_reasons.py): how often only
# decides how much of the list is read by the rule instead of from facts, never what it shows.
STUCK_FACTS_SECONDS = 5


def install() -> None:
    from app.engine import hooks

    if hooks.installed("app.assembly"):
        return
    # Functions for expressions register themselves when their modules are imported.
    import app.calendar.functions  # noqa: F401 - werkdagen(), ...
    import app.cases.settings  # noqa: F401 - instelling()
    import app.engine.case_functions  # noqa: F401 - element_bereikt()
    import app.engine.signals  # noqa: F401 - thrown signals reach other instances
    import app.privacy.functions  # noqa: F401 - heeft_toestemming()
    from app.calendar.closures import install as closure_days
    from app.cases.documents import check_document_fields
    from app.cases.service import teams_by_key
    from app.intake.service import start_fields
    from app.manage import stuck_reasons
    from app.privacy import retention
    from app.privacy.consent import record_from_task
    from app.privacy.deploy_checks import check_catalogue
    from app.privacy.erasure import erase_case_records, expire_fields
    from app.tasks.forms import check_forms
    from app.tasks.service import remove_drafts_of_closed_tasks

    closure_days()
    hooks.add(hooks.deploy_checks, check_catalogue)
    hooks.add(hooks.deploy_checks, check_forms)
    hooks.add(hooks.incoming_data, check_document_fields)
    hooks.add(hooks.start_fields, start_fields)
    hooks.add(hooks.task_data, record_from_task)
    hooks.set_expiry(retention.first_expiry)
    hooks.set_teams(teams_by_key)
    hooks.add(hooks.at_erasure, erase_case_records)
    hooks.add(hooks.at_field_erasure, expire_fields)
    hooks.add(
        hooks.worker_ticks,
        hooks.Tick("retention", RETENTION_SECONDS, lambda db: len(retention.apply(db))),
    )
    hooks.add(
        hooks.worker_ticks, hooks.Tick("drafts", DRAFT_SWEEP_SECONDS, remove_drafts_of_closed_tasks)
    )
    hooks.add(
        hooks.worker_ticks,
        hooks.Tick("stuck-facts", STUCK_FACTS_SECONDS, stuck_reasons.refresh),
    )
    hooks.add(hooks.before_batch, stuck_reasons.mark_batch)
    hooks.mark_installed("app.assembly")

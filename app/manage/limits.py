"""The limits the stuck list measures against, and working-day arithmetic for them.

Limits are process settings (the catalogue's `instellingen`, each municipality may set its
own value, app/cases/settings.py). A limit for one activity is the same name with the
element id appended; it wins over the limit for the whole process:

    instellingen:
      max_wachttijd_werkdagen: {waarde: 10, omschrijving: Zonder voortgang ten hoogste}
      max_wachttijd_werkdagen_contact_opnemen: {waarde: 3, omschrijving: ...}
      max_berichtwachttijd_werkdagen: {waarde: 15, omschrijving: ...}
      risico_werkdagen: {waarde: 2, omschrijving: Termijn in gevaar binnen}

A process that declares none gets the defaults below. A value of 0 (or empty) switches the
check off for that process or activity.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Any

from sqlalchemy import and_, case, literal, select
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import ClauseElement

from app.calendar.atw import default_calendar
from app.cases import settings as process_settings
from app.cases.models import ProcessSetting
from app.clock import AMSTERDAM, local
from app.db import UTCDateTime
from app.engine.models import ProcessDefinition, ProcessVersion
from app.engine.runtime import version_catalogue

AT_RISK = "risico_werkdagen"
IDLE = "max_wachttijd_werkdagen"
MESSAGE = "max_berichtwachttijd_werkdagen"

DEFAULTS: dict[str, int] = {AT_RISK: 2, IDLE: 10, MESSAGE: 10}
DESCRIPTIONS: dict[str, str] = {
    AT_RISK: "Een termijn is in gevaar als hij binnen zoveel werkdagen verloopt",
    IDLE: "Zoveel werkdagen mag een zaak zonder voortgang zijn",
    MESSAGE: "Zoveel werkdagen mag een bericht uitblijven",
}


def _as_limit(value: Any) -> int | None:
    if value in (None, "", False):
        return None
    number = int(value)
    return number if number > 0 else None


class Limits:
    """Limits per (version, municipality, name, element), looked up once per request.

    The settings rows and the versions are read once per Limits (one request): the stuck
    list builds seven queries from them, and reading them per query was 20 of its 30
    statements (bench/README.md)."""

    def __init__(self, session: Session) -> None:
        self.session = session
        self._cache: dict[tuple[int, str, str | None, str, str | None], int | None] = {}
        self._settings: list[tuple[str, str | None, str, Any]] | None = None
        self._versions: list[tuple[int, str]] | None = None
        self._hashes: tuple[tuple[int, str, str], ...] = ()
        self._bounds: dict[str, tuple[int, int] | None] = {}

    def settings(self) -> list[tuple[str, str | None, str, Any]]:
        """The municipalities' own values: (process key, municipality, name, value)."""
        if self._settings is None:
            self._settings = [
                (key, town, name, value)
                for key, town, name, value in self.session.execute(
                    select(
                        ProcessSetting.process_key,
                        ProcessSetting.municipality,
                        ProcessSetting.name,
                        ProcessSetting.value,
                    )
                )
            ]
        return self._settings

    def versions(self) -> list[tuple[int, str]]:
        """Every process version: (version id, process key)."""
        if self._versions is None:
            rows = self.session.execute(
                select(ProcessVersion.id, ProcessDefinition.key, ProcessVersion.content_hash).join(
                    ProcessDefinition
                )
            ).all()
            self._versions = [(version_id, key) for version_id, key, _hash in rows]
            self._hashes = tuple(sorted((v, k, h) for v, k, h in rows))
        return self._versions

    def fingerprint(self) -> tuple[tuple[int, str, str], ...]:
        """The versions with their content hashes: what their catalogues (the declared
        limits) and elements are made of."""
        self.versions()
        return self._hashes

    def get(
        self,
        version_id: int,
        process_key: str,
        municipality: str | None,
        name: str,
        element: str | None = None,
    ) -> int | None:
        key = (version_id, process_key, municipality, name, element)
        if key not in self._cache:
            self._cache[key] = self._lookup(*key)
        return self._cache[key]

    def _lookup(
        self,
        version_id: int,
        process_key: str,
        municipality: str | None,
        name: str,
        element: str | None,
    ) -> int | None:
        catalogue = version_catalogue(self.session, version_id)
        for candidate in ([f"{name}_{element}"] if element else []) + [name]:
            if catalogue is not None and candidate in catalogue.settings:
                return _as_limit(
                    process_settings.value(
                        self.session, catalogue, process_key, municipality, candidate
                    )
                )
        return DEFAULTS[name]

    def bounds(self, name: str) -> tuple[int, int] | None:
        """The smallest and largest value `name` has anywhere (any version, municipality or
        activity), to narrow a query before each row is checked against its own limit;
        None when the check is switched off everywhere."""
        if name in self._bounds:
            return self._bounds[name]
        values: list[int | None] = [DEFAULTS[name]]
        for version_id, _key in self.versions():
            catalogue = version_catalogue(self.session, version_id)
            for key, spec in (catalogue.settings if catalogue else {}).items():
                if key == name or key.startswith(name + "_"):
                    values.append(_as_limit(spec.get("waarde")))
        for _process, _town, key, value in self.settings():
            if key == name or key.startswith(name + "_"):
                values.append(_as_limit(value))
        found = [v for v in values if v is not None]
        self._bounds[name] = (min(found), max(found)) if found else None
        return self._bounds[name]


class LimitExpression:
    """A limit as one SQL expression over (version, municipality, element) columns, so that
    a query can compare every row against its own limit and count or page exactly.

    `moment(limit)` turns a limit in working days into the moment to compare with (a cutoff
    or a horizon); `moment(None)` is what a switched-off check compares with."""

    def __init__(self, limits: Limits, name: str) -> None:
        self.limits = limits
        self.name = name

    def expression(
        self,
        moment: Any,
        version: Any,
        municipality: Any,
        element: Any = None,
        only: dict[int, set[str]] | None = None,
    ) -> Any:
        """CASE over the settings that exist, most specific first. `only` limits the check
        to some elements per version (others get `moment(None)`)."""
        session, name = self.limits.session, self.name
        own: dict[str, list[tuple[str | None, str, Any]]] = {}
        for key, town, setting, value in self.limits.settings():
            own.setdefault(key, []).append((town, setting, value))
        whens: list[tuple[Any, Any]] = []
        for version_id, process_key in self.limits.versions():
            catalogue = version_catalogue(session, version_id)
            declared = catalogue.settings if catalogue is not None else {}
            is_version = version == version_id
            if only is not None:
                wanted = sorted(only.get(version_id, ()))
                whens.append(
                    (
                        and_(is_version, element.not_in(wanted)) if wanted else is_version,
                        _at(moment(None)),
                    )
                )
            prefix = name + "_"
            if element is not None:
                for town, setting, value in own.get(process_key, []):
                    if setting.startswith(prefix) and setting in declared:
                        whens.append(
                            (
                                and_(
                                    is_version,
                                    municipality == town,
                                    element == setting[len(prefix) :],
                                ),
                                _at(moment(_as_limit(value))),
                            )
                        )
                for setting, spec in declared.items():
                    if setting.startswith(prefix):
                        whens.append(
                            (
                                and_(is_version, element == setting[len(prefix) :]),
                                _at(moment(_as_limit(spec.get("waarde")))),
                            )
                        )
            for town, setting, value in own.get(process_key, []):
                if setting == name and setting in declared:
                    whens.append(
                        (and_(is_version, municipality == town), _at(moment(_as_limit(value))))
                    )
            if name in declared:
                whens.append((is_version, _at(moment(_as_limit(declared[name].get("waarde"))))))
        default = _at(moment(DEFAULTS[self.name]))
        return case(*whens, else_=default) if whens else default


def _at(moment: Any) -> Any:
    """A moment in SQL: a parameter the caller made (a moment computed per list, see
    stuck.py), or a fixed value."""
    return moment if isinstance(moment, ClauseElement) else literal(moment, UTCDateTime())


class WorkingDays:
    """Working-day counts against one moment, cached per calendar day."""

    def __init__(self, now: datetime) -> None:
        self.now = now
        self.today = local(now).date()
        self.calendar = default_calendar()
        self._between: dict[date, int] = {}
        # Walking the calendar costs ~2 ms a call; a list asks the same few limits often.
        self._moments: dict[tuple[str, int], datetime] = {}

    def since(self, moment: datetime) -> int:
        """Working days from the day of `moment` to today (that day excluded, today
        included); 0 for today."""
        day = local(moment).date()
        if day not in self._between:
            self._between[day] = self.calendar.working_days_between(day, self.today)
        return self._between[day]

    def until(self, moment: datetime) -> int:
        """Working days left until the day of `moment` (negative when it has passed)."""
        return -self.since(moment)

    def idle_cutoff(self, limit: int) -> datetime:
        """Activity before this moment is more than `limit` working days ago."""
        key = ("idle", limit)
        if key not in self._moments:
            self._moments[key] = _start_of(self.calendar.add_working_days(self.today, -limit))
        return self._moments[key]

    def risk_horizon(self, limit: int) -> datetime:
        """Deadlines before this moment fall within `limit` working days from today."""
        key = ("risk", limit)
        if key not in self._moments:
            day = self.calendar.add_working_days(self.today, limit) if limit else self.today
            self._moments[key] = _start_of(day + timedelta(days=1))
        return self._moments[key]


def _start_of(day: date) -> datetime:
    return datetime.combine(day, time(0, 0), AMSTERDAM)

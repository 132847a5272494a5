"""What Stroom writes to its log: one line for what an operator needs (start, stop, each batch
of timers or jobs with its count, errors, slow requests), the scheduler library's routine lines
only at DEBUG. `STROOM_LOG_FORMAT=json` writes one JSON object per line, for production log
collectors; `STROOM_LOG_LEVEL` sets the level (default INFO)."""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime
from typing import Any

from app.config import Settings

PLAIN = "%(asctime)s %(levelname)s %(name)s: %(message)s"
# Loggers whose INFO lines are routine (every tick of every interval job, every request,
# every state change of every SpiffWorkflow task: app/engine/spiff_fixes.py).
ROUTINE = (
    "apscheduler",
    "waitress.queue",
    "spiff.task",
    "spiff.workflow",
    "spiff.data",
    "spiff.dmn",
)
_STANDARD = set(logging.makeLogRecord({}).__dict__) | {"message", "asctime"}


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        entry.update({k: v for k, v in record.__dict__.items() if k not in _STANDARD})
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False, default=str)


def configure(settings: Settings) -> None:
    level = logging.getLevelName(settings.log_level.upper())
    if not isinstance(level, int):
        raise ValueError(f"STROOM_LOG_LEVEL={settings.log_level!r}: gebruik DEBUG, INFO, WARNING")
    if settings.log_format not in ("plain", "json"):
        raise ValueError(f"STROOM_LOG_FORMAT={settings.log_format!r}: gebruik plain of json")
    handler = logging.StreamHandler()
    handler.setFormatter(
        JsonFormatter() if settings.log_format == "json" else logging.Formatter(PLAIN)
    )
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    for name in ROUTINE:
        logging.getLogger(name).setLevel(level if level <= logging.DEBUG else logging.WARNING)

"""What Stroom writes to its log: one line for what an operator needs (start, stop, each batch
of timers or jobs with its count, errors, slow requests), the scheduler library's routine lines
only at DEBUG. `STROOM_LOG_FORMAT=json` writes one JSON object per line, for production log
collectors; `STROOM_LOG_LEVEL` sets the level (default INFO)."""

from __future__ import annotations

import json
import logging
import time
from datetime import UTC, datetime
from typing import Any

from flask import Flask, g, request

from app.config import Settings

PLAIN = "%(asctime)s %(levelname)s %(name)s: %(message)s"
# Loggers whose INFO lines are routine (every tick of every interval job, every request).
ROUTINE = ("apscheduler", "waitress.queue")
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


def register_request_log(app: Flask, slow_ms: float) -> None:
    """One WARNING line per request slower than `slow_ms` (method, path, status, time)."""
    log = logging.getLogger("app.requests")

    @app.before_request
    def _start() -> None:
        g.request_started = time.perf_counter()

    @app.after_request
    def _slow(response: Any) -> Any:
        started = g.get("request_started")
        if started is not None:
            ms = (time.perf_counter() - started) * 1000
            if ms >= slow_ms:
                log.warning(
                    "traag verzoek: %s %s %s in %.0f ms",
                    request.method,
                    request.path,
                    response.status_code,
                    ms,
                    extra={"duration_ms": round(ms), "status": response.status_code},
                )
        return response

"""Structured logging: one JSON object per line, with the event name, endpoint id and request id.

Secrets never reach a log line: services and the registry log ids and settings names, never values
of secret settings, and the formatter only emits the fields a record carries.
"""

from __future__ import annotations

import logging
import sys
from typing import Any

import orjson

from hfgate.config import Settings

_STANDARD = set(logging.LogRecord("", 0, "", 0, "", (), None).__dict__) | {"message", "asctime"}


class JsonFormatter(logging.Formatter):
    """Formats a record as one JSON line: time, level, logger, message and the ``extra`` fields.

    The time has whole seconds, so it is formatted once per second, not once per line.
    """

    _second = -1
    _time = ""

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "time": self._seconds(record),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        line.update({k: v for k, v in record.__dict__.items() if k not in _STANDARD})
        if record.exc_info:
            line["exception"] = self.formatException(record.exc_info)
        return orjson.dumps(line, default=str).decode()

    def _seconds(self, record: logging.LogRecord) -> str:
        second = int(record.created)
        if second != self._second:
            self._time, self._second = self.formatTime(record, "%Y-%m-%dT%H:%M:%S"), second
        return self._time


def configure_logging(settings: Settings) -> None:
    """Send hfgate's logs to stderr in the configured format and level."""
    handler = logging.StreamHandler(sys.stderr)
    text = logging.Formatter("%(asctime)s %(levelname)s %(name)s %(message)s")
    handler.setFormatter(JsonFormatter() if settings.log_format == "json" else text)
    root = logging.getLogger("hfgate")
    root.handlers[:] = [handler]
    root.setLevel(settings.log_level.upper())
    root.propagate = False
    # Neither format carries a record's thread, process or source line: the logging module need not look
    # them up for every record (the optimizations of Python's logging HOWTO). With the access log on,
    # that look-up (a getpid system call among it) was ~3 % of a gateway request's CPU.
    logging.logThreads = logging.logProcesses = logging.logMultiprocessing = False
    logging._srcfile = None

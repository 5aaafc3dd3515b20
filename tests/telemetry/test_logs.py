"""The JSON log line: its fields, and its time (formatted once per second) always the record's own."""

from __future__ import annotations

import logging

import orjson

from hfgate.telemetry.logs import JsonFormatter


def record(created: float) -> logging.LogRecord:
    line = logging.LogRecord("hfgate.access", logging.INFO, __file__, 1, "request", (), None)
    line.created = created
    line.__dict__.update({"event": "request", "status": 200})
    return line


def test_each_line_carries_its_own_second_and_the_extra_fields() -> None:
    formatter, reference = JsonFormatter(), logging.Formatter()
    for created in (1_700_000_000.2, 1_700_000_000.9, 1_700_000_001.1, 1_700_000_000.5):
        line = orjson.loads(formatter.format(record(created)))
        assert line["time"] == reference.formatTime(record(created), "%Y-%m-%dT%H:%M:%S")
        assert (line["level"], line["message"], line["event"], line["status"]) == ("info", "request", "request", 200)

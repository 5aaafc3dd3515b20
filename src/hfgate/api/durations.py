"""Elasticsearch time values in query strings: ``30s``, ``2m``, ``500ms``, ``-1`` (no limit)."""

from __future__ import annotations

import re

from hfgate.errors import BadRequestError

_UNITS = {"nanos": 1e-9, "micros": 1e-6, "ms": 1e-3, "s": 1.0, "m": 60.0, "h": 3600.0, "d": 86400.0}
_VALUE = re.compile(r"(\d+(?:\.\d+)?)(nanos|micros|ms|s|m|h|d)")
NO_LIMIT = 365 * 86400.0


def parse_duration(value: str | None, *, name: str = "timeout") -> float | None:
    """Seconds for an Elasticsearch time value; ``None`` when absent.

    Raises:
        BadRequestError: Elasticsearch's message for a value without a known unit.
    """
    if value is None:
        return None
    text = value.strip().lower()
    if text in ("-1", "0"):
        return NO_LIMIT
    match = _VALUE.fullmatch(text)
    if match is None:
        raise BadRequestError(
            f"failed to parse setting [{name}] with value [{value}] as a time value: unit is missing or "
            "unrecognized; use e.g. 30s, 500ms, 2m",
            param=name,
        )
    return float(match.group(1)) * _UNITS[match.group(2)]

"""Usage rows merged for reading: one line per hour × key × endpoint × task type, statuses counted.

Example:
    >>> report(rows, names={"k1": "search-app"})["totals"]["requests"]
    3
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from hfgate.registry.usage_store import UsageRow

SUMMED = ("requests", "errors", "input_tokens", "output_tokens", "cached_texts")


def report(rows: Sequence[UsageRow], *, names: Mapping[str, str]) -> dict[str, Any]:
    """``{"usage": [...], "totals": {...}}`` for ``GET /_usage``; ``names`` maps key ids to names."""
    lines: dict[tuple[str, str, str, str], dict[str, Any]] = {}
    for row in rows:
        hour = row.hour.strftime("%Y-%m-%dT%H:00:00Z")
        line = lines.setdefault((hour, row.key_id, row.inference_id, row.task_type), _line(row, hour, names))
        line["requests"] += row.requests
        line["errors"] += row.requests if row.status >= 400 else 0
        line["statuses"][str(row.status)] = line["statuses"].get(str(row.status), 0) + row.requests
        line["input_tokens"] += row.input_tokens
        line["output_tokens"] += row.output_tokens
        line["cached_texts"] += row.cached_texts
        line["latency_ms_sum"] += row.latency_ms_sum
        line["latency_ms_max"] = max(line["latency_ms_max"], round(row.latency_ms_max, 3))
    usage = [_finish(line) for line in lines.values()]
    totals = {name: sum(line[name] for line in usage) for name in SUMMED}
    return {"usage": usage, "totals": totals}


def _line(row: UsageRow, hour: str, names: Mapping[str, str]) -> dict[str, Any]:
    return {
        "hour": hour, "key_id": row.key_id, "key_name": names.get(row.key_id, row.key_id),
        "inference_id": row.inference_id, "task_type": row.task_type, "requests": 0, "errors": 0,
        "statuses": {}, "input_tokens": 0, "output_tokens": 0, "latency_ms_sum": 0.0, "latency_ms_max": 0.0,
        "cached_texts": 0,
    }  # fmt: skip


def _finish(line: dict[str, Any]) -> dict[str, Any]:
    total = line.pop("latency_ms_sum")
    line["latency_ms_avg"] = round(total / line["requests"], 3) if line["requests"] else 0.0
    return line

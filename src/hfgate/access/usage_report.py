"""Usage rows merged for reading: one line per hour (or day) × key × endpoint × task type, statuses counted.

Spend is summed in whole micro-dollars and shown as an exact decimal string of dollars (``cost_usd``),
never a float.

Example:
    >>> report(rows, names={"k1": "search-app"})["totals"]["requests"]
    3
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Literal

from hfgate.access.spend import usd_number
from hfgate.registry.usage_store import UsageRow

SUMMED = ("requests", "errors", "input_tokens", "output_tokens", "cached_texts", "cost_micros")
Period = Literal["hour", "day"]
PERIODS: dict[str, str] = {"hour": "%Y-%m-%dT%H:00:00Z", "day": "%Y-%m-%d"}


def report(rows: Sequence[UsageRow], *, names: Mapping[str, str], by: Period = "hour") -> dict[str, Any]:
    """``{"usage": [...], "totals": {...}}`` for ``GET /_usage``; ``names`` maps key ids to names; ``by``
    merges the hours of one UTC day into one line (``day`` names it)."""
    lines: dict[tuple[str, str, str, str], dict[str, Any]] = {}
    for row in rows:
        when = row.hour.strftime(PERIODS[by])
        line = lines.setdefault((when, row.key_id, row.inference_id, row.task_type), _line(row, by, when, names))
        line["requests"] += row.requests
        line["errors"] += row.requests if row.status >= 400 else 0
        line["statuses"][str(row.status)] = line["statuses"].get(str(row.status), 0) + row.requests
        line["input_tokens"] += row.input_tokens
        line["output_tokens"] += row.output_tokens
        line["cached_texts"] += row.cached_texts
        line["cost_micros"] += row.cost_micros
        line["latency_ms_sum"] += row.latency_ms_sum
        line["latency_ms_max"] = max(line["latency_ms_max"], round(row.latency_ms_max, 3))
    usage = [_finish(line) for line in lines.values()]
    totals: dict[str, Any] = {name: sum(line[name] for line in usage) for name in SUMMED}
    totals["cost_usd"] = usd_number(totals["cost_micros"])
    return {"usage": usage, "totals": totals}


def _line(row: UsageRow, by: Period, when: str, names: Mapping[str, str]) -> dict[str, Any]:
    return {
        by: when, "key_id": row.key_id, "key_name": names.get(row.key_id, row.key_id),
        "inference_id": row.inference_id, "task_type": row.task_type, "requests": 0, "errors": 0,
        "statuses": {}, "input_tokens": 0, "output_tokens": 0, "latency_ms_sum": 0.0, "latency_ms_max": 0.0,
        "cached_texts": 0, "cost_micros": 0,
    }  # fmt: skip


def _finish(line: dict[str, Any]) -> dict[str, Any]:
    total = line.pop("latency_ms_sum")
    line["latency_ms_avg"] = round(total / line["requests"], 3) if line["requests"] else 0.0
    line["cost_usd"] = usd_number(line["cost_micros"])
    return line

"""The usage page's tables: totals per key and per endpoint, each with a bar chart of requests per hour,
and spend per key × endpoint × UTC day.

The chart is drawn on the server as a few SVG rectangles, so the page needs no charting script.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from hfgate.access.spend import usd
from hfgate.registry.usage_store import UsageRow

BAR, GAP, HEIGHT = 4, 1, 28


@dataclass(slots=True)
class Chart:
    width: int
    height: int
    peak: int
    bars: list[dict[str, int]]


@dataclass(slots=True)
class UsageLine:
    name: str
    requests: int = 0
    errors: int = 0
    input_tokens: int = 0
    output_tokens: int = 0
    cost_micros: int = 0
    per_hour: dict[datetime, int] = field(default_factory=dict)
    chart: Chart | None = None


@dataclass(frozen=True, slots=True)
class Section:
    anchor: str  # by-key or by-endpoint: the template gives each its own title
    rows: list[UsageLine]


@dataclass(frozen=True, slots=True)
class DaySpend:
    day: str
    key: str
    endpoint: str
    cost: str


def spend_per_day(rows: Sequence[UsageRow], *, names: Mapping[str, str]) -> list[DaySpend]:
    """What each key spent on each endpoint each UTC day (rows that cost something), newest day first."""
    totals: dict[tuple[str, str, str], int] = {}
    for row in rows:
        if row.cost_micros:
            slot = (row.hour.strftime("%Y-%m-%d"), names.get(row.key_id, row.key_id), row.inference_id)
            totals[slot] = totals.get(slot, 0) + row.cost_micros
    ordered = sorted(totals.items(), key=lambda item: (item[0][0], item[1]), reverse=True)
    return [DaySpend(day, key, endpoint, usd(cost)) for (day, key, endpoint), cost in ordered]


def sections(rows: Sequence[UsageRow], *, names: Mapping[str, str], start: datetime, hours: int) -> list[Section]:
    """The page's two views of the same rows: by key, then by endpoint."""
    by_key = _lines(rows, group=lambda row: names.get(row.key_id, row.key_id))
    by_endpoint = _lines(rows, group=lambda row: row.inference_id)
    for line in (*by_key, *by_endpoint):
        line.chart = chart(line.per_hour, start=start, hours=hours)
    return [
        Section("by-key", by_key),
        Section("by-endpoint", by_endpoint),
    ]


def chart(per_hour: Mapping[datetime, int], *, start: datetime, hours: int) -> Chart:
    """One bar per hour from ``start``, scaled to the busiest hour."""
    counts = [per_hour.get(start + timedelta(hours=i), 0) for i in range(hours)]
    peak = max(counts, default=0)
    bars = []
    for i, count in enumerate(counts):
        height = 0 if peak == 0 else max(1, round(HEIGHT * count / peak)) if count else 0
        bars.append({"x": i * (BAR + GAP), "y": HEIGHT - height, "w": BAR, "h": height})
    return Chart(width=max(1, hours * (BAR + GAP)), height=HEIGHT, peak=peak, bars=bars)


def _lines(rows: Sequence[UsageRow], *, group: Callable[[UsageRow], str]) -> list[UsageLine]:
    lines: dict[str, UsageLine] = {}
    for row in rows:
        name = group(row)
        line = lines.setdefault(name, UsageLine(name=name))
        line.requests += row.requests
        line.errors += row.requests if row.status >= 400 else 0
        line.input_tokens += row.input_tokens
        line.output_tokens += row.output_tokens
        line.cost_micros += row.cost_micros
        line.per_hour[row.hour] = line.per_hour.get(row.hour, 0) + row.requests
    return sorted(lines.values(), key=lambda line: -line.requests)

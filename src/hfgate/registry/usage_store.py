"""Usage per key × endpoint × task type × status × hour: added to in batches, read for ``/_usage``.

An upsert adds a batch's counts to the hour's row (``ON CONFLICT … DO UPDATE``, on SQLite and
PostgreSQL alike), so replicas writing the same hour add up instead of overwriting each other.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Engine, Insert, func, select
from sqlalchemy.dialects import postgresql, sqlite

from hfgate.registry.api_keys import aware
from hfgate.registry.database import writing
from hfgate.registry.failures import translated
from hfgate.registry.schema import usage_hourly

SUMMED = ("requests", "input_tokens", "output_tokens", "latency_ms_sum", "cached_texts", "cost_micros")
KEY_COLUMNS = ("hour", "key_id", "inference_id", "task_type", "status")


@dataclass(slots=True, kw_only=True)
class UsageRow:
    """One hour of one key's calls of one endpoint, with one status."""

    hour: datetime
    key_id: str
    inference_id: str
    task_type: str
    status: int
    requests: int = 0
    input_tokens: int = 0
    output_tokens: int = 0
    latency_ms_sum: float = 0.0
    latency_ms_max: float = 0.0
    cached_texts: int = 0
    """Texts the embedding cache answered: no tokens were sent upstream for them."""
    cost_micros: int = 0
    """What the calls cost at the endpoint's price, in micro-dollars (``hfgate.access.spend``)."""


class UsageStore:
    """Persistent hourly usage.

    Args:
        engine: from :func:`hfgate.registry.database.make_engine`, already migrated.
    """

    def __init__(self, engine: Engine) -> None:
        self._engine = engine
        self._writer = writing(engine)

    def add(self, rows: Sequence[UsageRow]) -> None:
        """Add each row's counts to what the database holds for its hour (one transaction)."""
        if not rows:
            return
        with translated(), self._writer.begin() as conn:
            for row in rows:
                conn.execute(self._upsert(conn.dialect.name, row))

    def query(
        self, *, key_id: str | None = None, inference_id: str | None = None,
        start: datetime | None = None, end: datetime | None = None,
    ) -> list[UsageRow]:  # fmt: skip
        """Rows whose hour is in ``[start, end)``, for one key and/or endpoint when given, oldest first."""
        table = usage_hourly
        query = select(table).order_by(*(table.c[name] for name in KEY_COLUMNS))
        if key_id is not None:
            query = query.where(table.c.key_id == key_id)
        if inference_id is not None:
            query = query.where(table.c.inference_id == inference_id)
        if start is not None:
            query = query.where(table.c.hour >= start)
        if end is not None:
            query = query.where(table.c.hour < end)
        with translated(), self._engine.connect() as conn:
            return [_usage(row._mapping) for row in conn.execute(query)]

    def _upsert(self, dialect: str, row: UsageRow) -> Insert:
        module = postgresql if dialect == "postgresql" else sqlite
        values = {name: getattr(row, name) for name in UsageRow.__dataclass_fields__}
        statement = module.insert(usage_hourly).values(**values)
        table, new = usage_hourly, statement.excluded
        added = {name: table.c[name] + new[name] for name in SUMMED}
        greatest = func.greatest if dialect == "postgresql" else func.max  # SQLite's max() of 2+ values
        added["latency_ms_max"] = greatest(table.c.latency_ms_max, new.latency_ms_max)
        result: Insert = statement.on_conflict_do_update(index_elements=list(KEY_COLUMNS), set_=added)
        return result


def _usage(mapping: object) -> UsageRow:
    values = dict(mapping)  # type: ignore[call-overload]
    values["hour"] = aware(values["hour"])
    return UsageRow(**values)

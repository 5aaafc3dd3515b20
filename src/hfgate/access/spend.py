"""Spend: what an endpoint's tokens cost, what one request cost (in micro-dollars, millionths of a USD),
the budgets that limit it (USD per UTC day and per UTC month, for a gateway key and for an endpoint), and
the usage each key's requests add up to.

**Prices.** An endpoint's price is its ``service_settings.price``, in USD per million tokens (which is the
same number as micro-dollars per token)::

    {"input": 0.15, "cached_input": 0.075, "output": 0.60}

``cached_input`` is what a prompt token the upstream's prefix cache served costs (``input`` when not
given); embeddings and rerank read tokens only, so their price is ``input``. For a machine of one's own,
its price per hour and the throughput measured on it (input and output tokens per second, summed)::

    {"per_hour": 2.50, "tokens_per_second": 1400}

becomes one price for every token: ``per_hour × 10^6 / (3600 × tokens_per_second)`` USD per million
tokens (here 0.496). Sums are :class:`~decimal.Decimal`, never floats; a request's cost is rounded to
the micro-dollar once, half up.

    >>> price = price_of({"price": {"input": 1.69, "output": 3.38}})
    >>> micros(price.cost(input_tokens=1000, cached_tokens=0, output_tokens=500))
    3380

**Budgets.** Each request has a :class:`Tab` (set by the gateway, read through :data:`TAB`). Before the
orchestrator calls an endpoint with a price, :func:`reserve` puts the request's upper bound (its body's
bytes as input tokens, ``max_tokens`` or :data:`DEFAULT_OUTPUT_BOUND` as output tokens, at the endpoint's
price) on every budget the request falls under: the key's and the endpoint's, day and month. A budget
without room for it refuses the request with 429 (:class:`~hfgate.errors.BudgetExceededError`) naming the
budget and when it resets. When the request ends, :meth:`Tab.settle` replaces the reservation with what
it cost. At 80% of a budget or more, the answer carries ``X-HFGate-Budget-Warning``. An endpoint without
a price costs nothing and is never refused for a budget::

    tab = Tab(store, principal)  # the gateway; TAB.set(tab)
    await reserve(endpoint, input_tokens=1800, output_tokens=256)  # the orchestrator, before the call
    await tab.settle({"coder": Decimal("1234.5")})  # the gateway, at the end (micro-dollars)


**Usage** is tallied off the request path: each inference adds to an in-memory tally, written in batches.
:meth:`UsageRecorder.record` is a dictionary update (no I/O); a background task adds the tally to the
registry every ``flush_seconds`` (``HFGATE_USAGE_FLUSH_SECONDS``) and at shutdown, so a clean shutdown
loses nothing. A failed write keeps the tally for the next attempt.

Example:
    >>> recorder = UsageRecorder(store, flush_seconds=5)
    >>> recorder.record(key_id="k1", inference_id="e5", task_type="text_embedding", status=200,
    ...                 input_tokens=12, output_tokens=0, latency_ms=8.5)
    >>> # await recorder.start() … await recorder.aclose()  # flushes
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
from collections.abc import Mapping
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any, Literal

from hfgate.access.budget_store import GRACE_MS, BudgetStore, Counter
from hfgate.access.principal import Principal
from hfgate.errors import BudgetExceededError
from hfgate.registry.endpoint import Endpoint
from hfgate.registry.usage_store import UsageRow, UsageStore

log = logging.getLogger("hfgate.keys")

MILLION = Decimal(1_000_000)
SECONDS_PER_HOUR = Decimal(3600)


@dataclass(frozen=True, slots=True, kw_only=True)
class Price:
    """Micro-dollars per token (= USD per million tokens)."""

    input: Decimal
    cached_input: Decimal
    output: Decimal

    def cost(self, *, input_tokens: int, cached_tokens: int, output_tokens: int) -> Decimal:
        """Micro-dollars for these tokens; ``cached_tokens`` are counted within ``input_tokens``."""
        cached = min(max(cached_tokens, 0), input_tokens)
        return (input_tokens - cached) * self.input + cached * self.cached_input + output_tokens * self.output


def decimal_of(value: Any) -> Decimal:
    """A price or an amount as given (a JSON number, or a string of one), exactly: ``0.1`` is ``0.1``."""
    return Decimal(str(value))


def price_of(settings: Mapping[str, Any]) -> Price | None:
    """The price in an endpoint's service settings, or ``None`` when it has none (it then costs nothing)."""
    raw = settings.get("price")
    if not isinstance(raw, Mapping) or not raw:
        return None
    if raw.get("per_hour") is not None:
        per_token = decimal_of(raw["per_hour"]) * MILLION / (SECONDS_PER_HOUR * decimal_of(raw["tokens_per_second"]))
        return Price(input=per_token, cached_input=per_token, output=per_token)
    given = {name: decimal_of(raw[name]) for name in ("input", "cached_input", "output") if raw.get(name) is not None}
    base = given.get("input", Decimal(0))
    return Price(input=base, cached_input=given.get("cached_input", base), output=given.get("output", Decimal(0)))


def price_problems(raw: Any) -> list[str]:
    """Why ``service_settings.price`` cannot be used (Elasticsearch's ``Validation Failed`` items), or none."""
    if not isinstance(raw, Mapping) or not raw:
        return []
    hourly = raw.get("per_hour") is not None
    per_token = [name for name in ("input", "cached_input", "output") if raw.get(name) is not None]
    if hourly and per_token:
        return [
            f"[service_settings.price] gives both [per_hour] and {per_token}: give a price per million tokens "
            "([input], [cached_input], [output]) or a machine's [per_hour] with its [tokens_per_second], not both"
        ]
    if hourly and not raw.get("tokens_per_second"):
        return [
            "[service_settings.price] [per_hour] needs [tokens_per_second]: the input and output tokens per "
            "second measured on that machine (e.g. with bench/), greater than 0"
        ]
    if not hourly and raw.get("tokens_per_second") is not None:
        return ["[service_settings.price] [tokens_per_second] is only read with [per_hour]; give [per_hour] too"]
    return []


def micros(cost: Decimal) -> int:
    """``cost`` rounded to a whole micro-dollar (half up)."""
    return int(cost.quantize(Decimal(1), rounding=ROUND_HALF_UP))


def usd(amount_micros: int) -> str:
    """Micro-dollars as a dollar amount for people: ``12345`` → ``$0.012345``; whole cents stay short.

    Example:
        >>> usd(5_000_000), usd(12_345), usd(-2_500_000)
        ('$5.00', '$0.012345', '-$2.50')
    """
    sign, value = ("-" if amount_micros < 0 else ""), abs(amount_micros)
    dollars = Decimal(value) / MILLION
    shown = f"{dollars:.2f}" if value % 10_000 == 0 else f"{dollars.normalize():f}"
    return f"{sign}${shown}"


def amount(amount_micros: int | None) -> str | None:
    """A limit in micro-dollars as the exact USD string a key's ``limits`` show and take: ``2500000`` → ``"2.5"``.

    Example:
        >>> amount(2_500_000), amount(5_000_000), amount(None)
        ('2.5', '5', None)
    """
    if amount_micros is None:
        return None
    return f"{(Decimal(amount_micros) / MILLION).normalize():f}"


def usd_number(amount_micros: int) -> str:
    """Micro-dollars as an exact decimal string of dollars, for JSON: ``12345`` → ``"0.012345"``."""
    return f"{Decimal(amount_micros) / MILLION:.6f}"


Period = Literal["day", "month"]
DEFAULT_OUTPUT_BOUND = 4096
"""Output tokens reserved for a generation that names no ``max_tokens`` (settled to what it wrote)."""
WARN_AT = Decimal("0.8")


@dataclass(frozen=True, slots=True)
class Budget:
    """One limit: whose (``key`` or ``endpoint``), its id, how messages name it, its period and amount."""

    owner: Literal["key", "endpoint"]
    owner_id: str
    title: str
    period: Period
    limit: int  # micro-dollars
    setting: str  # the setting to raise, for the message


def key_budgets(principal: Principal | None) -> list[Budget]:
    if principal is None:
        return []
    title = f"API key [{principal.name}] (id [{principal.key_id}])"
    given: tuple[tuple[Period, int | None], ...] = (("day", principal.day_budget), ("month", principal.month_budget))
    return [Budget("key", principal.key_id, title, period, limit, f"the key's [limits.usd_per_{period}]")
            for period, limit in given if limit is not None]  # fmt: skip


def endpoint_budgets(endpoint: Endpoint) -> list[Budget]:
    raw = endpoint.service_settings.get("budget") or {}
    title = f"inference endpoint [{endpoint.inference_id}]"
    found = []
    periods: tuple[Period, ...] = ("day", "month")
    for period in periods:
        value = raw.get(f"usd_per_{period}")
        if value is not None:
            setting = f"[service_settings.budget.usd_per_{period}]"
            found.append(Budget("endpoint", endpoint.inference_id, title, period, micros(decimal_of(value) * MILLION),
                                setting))  # fmt: skip
    return found


def resets_at(period: Period, now: datetime) -> datetime:
    """When the period holding ``now`` ends (UTC midnight; the first of next month)."""
    day = now.astimezone(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    if period == "day":
        return day + timedelta(days=1)
    return (day.replace(day=1) + timedelta(days=32)).replace(day=1)


def counter(budget: Budget, now: datetime) -> Counter:
    stamp = now.astimezone(UTC).strftime("%Y-%m-%d" if budget.period == "day" else "%Y-%m")
    name = f"bg:{budget.owner}:{budget.owner_id}:{budget.period}:{stamp}"
    expires = int(resets_at(budget.period, now).timestamp() * 1000) + GRACE_MS
    return Counter(name=name, limit=budget.limit, expires_ms=expires)


@dataclass(slots=True)
class Tab:
    """One request's reservations, settled when it ends; ``warning`` is the 80% header's value, if any."""

    store: BudgetStore
    principal: Principal | None
    held: dict[str, tuple[Budget, Counter, int]] = field(default_factory=dict)
    warning: str | None = None

    async def reserve(self, endpoint: Endpoint, amount: int) -> None:
        budgets = key_budgets(self.principal) + endpoint_budgets(endpoint)
        if not budgets:
            return
        now = datetime.now(UTC)
        counters = [counter(b, now) for b in budgets]
        verdict = await self.store.reserve(counters, amount)
        if verdict.refused is not None:
            budget = budgets[verdict.refused]
            raise _refusal(budget, used=verdict.used[verdict.refused], amount=amount, now=now)
        for budget, count, used in zip(budgets, counters, verdict.used, strict=True):
            slot = self.held.get(count.name)
            self.held[count.name] = (budget, count, amount + (slot[2] if slot else 0))
            if budget.limit and used >= WARN_AT * budget.limit:
                self.warning = _warning(budget, used=used, now=now)

    async def settle(self, spent: Mapping[str, Decimal]) -> None:
        """Replace the reservations with what the request cost (micro-dollars per endpoint)."""
        if not self.held:
            return
        total = micros(sum(spent.values(), Decimal(0)))
        changes = []
        for budget, count, reserved in self.held.values():
            cost = total if budget.owner == "key" else micros(spent.get(budget.owner_id, Decimal(0)))
            if cost != reserved:
                changes.append((count, cost - reserved))
        self.held.clear()
        if changes:
            await self.store.settle(changes)


TAB: ContextVar[Tab | None] = ContextVar("hfgate_tab", default=None)


async def reserve(endpoint: Endpoint, *, input_tokens: int, output_tokens: int) -> None:
    """Reserve what a call of ``endpoint`` may cost at most on the current request's budgets (nothing
    outside a request, or for an endpoint without a price).

    Raises:
        BudgetExceededError: a budget has no room for it (429).
    """
    tab = TAB.get()
    price = price_of(endpoint.service_settings)
    if tab is None or price is None:
        return
    bound = price.cost(input_tokens=input_tokens, cached_tokens=0, output_tokens=output_tokens)
    await tab.reserve(endpoint, math.ceil(bound))


def _refusal(budget: Budget, *, used: int, amount: int, now: datetime) -> BudgetExceededError:
    reset = resets_at(budget.period, now)
    wait = max(1, math.ceil((reset - now).total_seconds()))
    return BudgetExceededError(
        f"{budget.title} has used [{usd(used)}] of its {_daily(budget)} budget [{usd(budget.limit)}] and this request "
        f"may cost up to [{usd(amount)}]; the budget resets at [{reset:%Y-%m-%dT%H:%M:%SZ}] (in {_span(wait)}); "
        f"to spend more now, raise {budget.setting}",
        retry_after=wait,
        param=f"limits.usd_per_{budget.period}" if budget.owner == "key" else f"budget.usd_per_{budget.period}",
    )


def _warning(budget: Budget, *, used: int, now: datetime) -> str:
    share = Decimal(used) * 100 / budget.limit
    reset = resets_at(budget.period, now)
    return (
        f"{budget.title} {_daily(budget)} budget {usd(budget.limit)}: {share:.0f}% used; "
        f"resets {reset:%Y-%m-%dT%H:%M:%SZ}"
    )


def _daily(budget: Budget) -> str:
    return "daily" if budget.period == "day" else "monthly"


def _span(seconds: int) -> str:
    hours, rest = divmod(seconds, 3600)
    return f"{hours} h {rest // 60} min" if hours else f"{max(1, rest // 60)} min"


ANONYMOUS = "-"  # the key id recorded when the gateway is open (no key configured)

_Slot = tuple[datetime, str, str, str, int]


class UsageRecorder:
    """Tallies usage per key × endpoint × task type × status × hour, and writes it in batches."""

    def __init__(self, store: UsageStore, *, flush_seconds: float) -> None:
        self._store = store
        self._every = flush_seconds
        self._tally: dict[_Slot, UsageRow] = {}
        self._task: asyncio.Task[None] | None = None
        self._writing = asyncio.Lock()

    def record(
        self, *, key_id: str, inference_id: str, task_type: str, status: int,
        input_tokens: int, output_tokens: int, latency_ms: float, cached_texts: int = 0, cost_micros: int = 0,
    ) -> None:  # fmt: skip
        """Count one call (no I/O)."""
        hour = datetime.now(UTC).replace(minute=0, second=0, microsecond=0)
        slot = (hour, key_id, inference_id, task_type, status)
        row = self._tally.get(slot)
        if row is None:
            row = self._tally[slot] = UsageRow(
                hour=hour, key_id=key_id, inference_id=inference_id, task_type=task_type, status=status
            )
        row.requests += 1
        row.input_tokens += input_tokens
        row.output_tokens += output_tokens
        row.latency_ms_sum += latency_ms
        row.latency_ms_max = max(row.latency_ms_max, latency_ms)
        row.cached_texts += cached_texts
        row.cost_micros += cost_micros

    async def start(self) -> None:
        self._task = asyncio.create_task(self._flush_forever())

    async def flush(self) -> None:
        """Write the tally now (``/_usage`` does before reading, so this replica's calls show at once)."""
        async with self._writing:
            batch, self._tally = self._tally, {}
            if not batch:
                return
            try:
                await asyncio.to_thread(self._store.add, list(batch.values()))
            except Exception as exc:  # the database is away: keep the counts for the next attempt
                self._merge_back(batch)
                log.warning("usage not written; will retry", extra={"event": "usage.flush.error", "error": str(exc)})
                raise

    async def aclose(self) -> None:
        """Stop the background writer and write what is left."""
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        await self.flush()

    async def _flush_forever(self) -> None:
        while True:
            await asyncio.sleep(self._every)
            with contextlib.suppress(Exception):
                await self.flush()

    def _merge_back(self, batch: dict[_Slot, UsageRow]) -> None:
        for slot, old in batch.items():
            row = self._tally.setdefault(slot, UsageRow(hour=old.hour, key_id=old.key_id,
                                                         inference_id=old.inference_id,
                                                         task_type=old.task_type, status=old.status))  # fmt: skip
            row.requests += old.requests
            row.input_tokens += old.input_tokens
            row.output_tokens += old.output_tokens
            row.latency_ms_sum += old.latency_ms_sum
            row.latency_ms_max = max(row.latency_ms_max, old.latency_ms_max)
            row.cached_texts += old.cached_texts
            row.cost_micros += old.cost_micros

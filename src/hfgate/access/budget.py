"""Spend limits: an amount of USD per UTC day and per UTC month, for a gateway key and for an endpoint.

Each request has a :class:`Tab` (set by the gateway, read through :data:`TAB`). Before the orchestrator
calls an endpoint with a price, :func:`reserve` puts the request's upper bound (its body's bytes as
input tokens, ``max_tokens`` or :data:`DEFAULT_OUTPUT_BOUND` as output tokens, at the endpoint's price)
on every budget the request falls under: the key's and the endpoint's, day and month. A budget without
room for it refuses the request with 429 (:class:`~hfgate.errors.BudgetExceededError`) naming the budget
and when it resets. When the request ends, :meth:`Tab.settle` replaces the reservation with what it
cost. At 80% of a budget or more, the answer carries ``X-HFGate-Budget-Warning``.

An endpoint without a price costs nothing and is never refused for a budget.

Example:
    >>> tab = Tab(store, principal)  # the gateway; TAB.set(tab)
    >>> await reserve(endpoint, input_tokens=1800, output_tokens=256)  # the orchestrator, before the call
    >>> await tab.settle({"coder": Decimal("1234.5")})  # the gateway, at the end (micro-dollars)
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Literal

from hfgate.access.budget_store import BudgetStore, Counter
from hfgate.access.prices import MILLION, decimal_of, micros, price_of, usd
from hfgate.access.principal import Principal
from hfgate.errors import BudgetExceededError
from hfgate.registry.endpoint import Endpoint

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
    expires = int(resets_at(budget.period, now).timestamp() * 1000) + 86_400_000
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

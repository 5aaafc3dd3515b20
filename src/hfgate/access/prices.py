"""What an endpoint's tokens cost, and what one request cost, in micro-dollars (millionths of a USD).

An endpoint's price is its ``service_settings.price``, in USD per million tokens (which is the same
number as micro-dollars per token)::

    {"input": 0.15, "cached_input": 0.075, "output": 0.60}

``cached_input`` is what a prompt token the upstream's prefix cache served costs (``input`` when not
given); embeddings and rerank read tokens only, so their price is ``input``. For a machine of one's own,
its price per hour and the throughput measured on it (input and output tokens per second, summed)::

    {"per_hour": 2.50, "tokens_per_second": 1400}

becomes one price for every token: ``per_hour × 10^6 / (3600 × tokens_per_second)`` USD per million
tokens (here 0.496). Sums are :class:`~decimal.Decimal`, never floats; a request's cost is rounded to
the micro-dollar once, half up.

Example:
    >>> price = price_of({"price": {"input": 1.69, "output": 3.38}})
    >>> micros(price.cost(input_tokens=1000, cached_tokens=0, output_tokens=500))
    3380
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

MILLION = Decimal(1_000_000)
SECONDS_PER_HOUR = Decimal(3600)
PRICE_FIELDS = ("input", "cached_input", "output", "per_hour", "tokens_per_second")


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

"""The ``price`` and ``budget`` settings every service declares: what an endpoint's tokens cost, and how
much it may spend per day and per month (see ``docs/prices-and-budgets.md``).

Why here: like ``cache`` (:mod:`hfgate.services.spec`), they are service settings that every
service lists, checked and shown by the same code as the others; what they mean (a cost in micro-dollars,
a budget kept across the fleet) is :mod:`hfgate.access.spend`.
"""

from __future__ import annotations

from hfgate.services.spec import SettingSpec


def _money(name: str, label: str, description: str) -> SettingSpec:
    return SettingSpec(name=name, kind="float", minimum=0, updatable=True, label=label, description=description)


PRICE_SETTING = SettingSpec(
    name="price",
    kind="object",
    updatable=True,
    label="Price",
    description="USD per million tokens (input, cached_input, output), or a machine's per_hour with its measured "
    "tokens_per_second; usage records each request's cost. None: the endpoint costs nothing.",
    children=(
        _money("input", "Input", "USD per million input (prompt) tokens; embeddings and rerank pay this."),
        _money("cached_input", "Cached input", "USD per million prompt tokens served from the prefix cache."),
        _money("output", "Output", "USD per million output (completion) tokens."),
        _money("per_hour", "Per hour", "USD per hour of the machine that serves the model (with tokens_per_second)."),
        _money("tokens_per_second", "Tokens per second", "Input and output tokens per second measured on it."),
        SettingSpec(name="source", label="Source", description="Where the price was read (the router's model list)."),
    ),
)

BUDGET_SETTING = SettingSpec(
    name="budget",
    kind="object",
    updatable=True,
    label="Budget",
    description="USD this endpoint may spend per UTC day and per month, every key together; over it, 429.",
    children=(
        _money("usd_per_day", "Per day", "USD per UTC day."),
        _money("usd_per_month", "Per month", "USD per UTC calendar month."),
    ),
)

SPEND_SETTINGS = (PRICE_SETTING, BUDGET_SETTING)

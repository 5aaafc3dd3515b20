"""A Messages request's reasoning controls (``thinking``, ``output_config.effort``) as the one control
hfgate's upstreams share: OpenAI's ``reasoning_effort``.

Source: Anthropic's Messages API reference. ``thinking`` is ``{"type": "enabled", "budget_tokens": n}``,
``{"type": "adaptive"}`` (the model decides how much to think) or ``{"type": "disabled"}``;
``output_config.effort`` is ``low``, ``medium``, ``high``, ``xhigh`` or ``max`` (Claude Code sends
``high`` with adaptive thinking).

The rule (docs/api/anthropic.md): thinking disabled sends nothing (the upstream's default); otherwise the
effort, ``xhigh`` and ``max`` as ``high`` (the highest an OpenAI-compatible server takes), else a thinking
budget as ``low`` (up to 4,096 tokens), ``medium`` (up to 16,384) or ``high``; adaptive thinking with no
effort sends nothing. The local service ignores it (no local model here reasons). A ``thinking`` type or
effort Anthropic may add later is read as "no preference" rather than refused: an agent's next release must
not fail at its first request over a hint.
"""

from __future__ import annotations

from typing import Any

from hfgate.api.body import json_type
from hfgate.errors import RequestValidationError

_EFFORTS = {"low": "low", "medium": "medium", "high": "high", "xhigh": "high", "max": "high"}
_BUDGETS = ((4096, "low"), (16384, "medium"))


def reasoning_effort(body: dict[str, Any]) -> str | None:
    """OpenAI's ``reasoning_effort`` for the request, or ``None`` for the upstream's default.

    Raises:
        RequestValidationError: ``thinking`` or ``output_config`` is not an object, or a value in it has
            the wrong type; the message names the field.

    Example:
        >>> reasoning_effort({"thinking": {"type": "adaptive"}, "output_config": {"effort": "max"}})
        'high'
        >>> reasoning_effort({"thinking": {"type": "enabled", "budget_tokens": 2048}})
        'low'
    """
    thinking = _object(body, "thinking")
    kind = thinking.get("type")
    if kind == "disabled":
        return None
    effort = _object(body, "output_config").get("effort")
    if effort is not None and not isinstance(effort, str):
        raise _invalid("output_config.effort", 'must be "low", "medium", "high", "xhigh" or "max"', effort)
    if effort in _EFFORTS:
        return _EFFORTS[effort]
    budget = thinking.get("budget_tokens")
    if kind != "enabled" or budget is None:
        return None
    if not isinstance(budget, int) or isinstance(budget, bool) or budget < 1:
        raise _invalid("thinking.budget_tokens", "must be a positive integer", budget)
    return next((name for most, name in _BUDGETS if budget <= most), "high")


def _object(body: dict[str, Any], name: str) -> dict[str, Any]:
    value = body.get(name)
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise _invalid(name, "must be an object", value)
    return value


def _invalid(where: str, rule: str, value: Any) -> RequestValidationError:
    shown = value if isinstance(value, str) and len(value) <= 40 else json_type(value)
    return RequestValidationError([f"Field [{where}] {rule}, got [{shown}]"], param=where)

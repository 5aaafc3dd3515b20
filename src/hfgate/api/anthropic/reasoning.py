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

from hfgate.api.anthropic.schema import OutputConfig, Thinking

_EFFORTS = {"low": "low", "medium": "medium", "high": "high", "xhigh": "high", "max": "high"}
_BUDGETS = ((4096, "low"), (16384, "medium"))


def reasoning_effort(thinking: Thinking | None, output: OutputConfig | None) -> str | None:
    """OpenAI's ``reasoning_effort`` for the request, or ``None`` for the upstream's default.

    Example:
        >>> reasoning_effort(Thinking(type="adaptive"), OutputConfig(effort="max"))
        'high'
        >>> reasoning_effort(Thinking(type="enabled", budget_tokens=2048), None)
        'low'
    """
    thinking = thinking or Thinking()
    if thinking.type == "disabled":
        return None
    effort = _EFFORTS.get(output.effort or "") if output else None
    if effort is not None:
        return effort
    budget = thinking.budget_tokens
    if thinking.type != "enabled" or budget is None:
        return None
    return next((name for most, name in _BUDGETS if budget <= most), "high")

"""Anthropic's Messages API (``/v1/messages``), the face Claude Code and the ``anthropic`` SDK call.

- :mod:`~hfgate.api.anthropic.schema` — the request and answer bodies: they decode and document them.
- :mod:`~hfgate.api.anthropic.content` — message content blocks read into chat messages.
- :mod:`~hfgate.api.anthropic.requests` — the decoded request read into a chat request's parts.
- :mod:`~hfgate.api.anthropic.shapes` — the ``message`` object built from a chat's result.
- :mod:`~hfgate.api.anthropic.stream` — a chat's streamed deltas as Messages stream events.
- :mod:`~hfgate.api.anthropic.errors` — Anthropic's error shape.
- :mod:`~hfgate.api.anthropic.routes` — ``POST /v1/messages`` and ``POST /v1/messages/count_tokens``,
  declared once (:mod:`hfgate.api.declare`).
"""

"""Anthropic's Messages API (``/v1/messages``), the face Claude Code and the ``anthropic`` SDK call."""

"""A conversation's shapes shared by every layer: tool calls whole and streamed (:mod:`~hfgate.chat.tool_calls`)."""

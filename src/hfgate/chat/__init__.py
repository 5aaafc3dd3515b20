"""A conversation's shapes, shared by every layer from the faces to the models.

- :mod:`~hfgate.chat.messages` — chat messages and the parts of their content (text, images).
- :mod:`~hfgate.chat.tools` — the tools a model may call, the tool choice, and tool calls whole and streamed.
- :mod:`~hfgate.chat.tool_calls` — streamed tool-call pieces joined into calls, and calls cut into pieces.

The task requests that carry them (``ChatRequest``, a relayed Responses request) are in
:mod:`hfgate.tasks`, which imports this package, never the other way.
"""

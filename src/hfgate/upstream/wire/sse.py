"""Server-sent events: the ``data`` of each event, from a stream of lines.

TGI writes ``data:{...}`` (no space) and OpenAI-style servers ``data: {...}``; both are accepted. An
event ends at a blank line; several ``data`` lines in one event are joined with newlines, as the
specification says. Comments and other fields (``event``, ``id``, ``retry``) are skipped.
"""

from __future__ import annotations

from collections.abc import AsyncIterable, AsyncIterator


async def sse_data(lines: AsyncIterable[bytes]) -> AsyncIterator[str]:
    """Yield the data of each event in ``lines``.

    Example:
        >>> # async for data in sse_data(response.lines()): print(data)
    """
    pending: list[str] = []
    async for raw in lines:
        line = raw.decode("utf-8").rstrip("\r\n")
        if not line:
            if pending:
                yield "\n".join(pending)
                pending = []
            continue
        if line.startswith("data:"):
            value = line[5:]
            pending.append(value[1:] if value.startswith(" ") else value)
    if pending:
        yield "\n".join(pending)

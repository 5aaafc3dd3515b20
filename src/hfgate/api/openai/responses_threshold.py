"""``context_management`` of a Responses request: server-side compaction's threshold.

Source: OpenAI's Responses reference and its "Compaction" guide: ``context_management`` is an array of
``{"type": "compaction", "compact_threshold": n}`` (``n`` at least 1,000): when the rendered prompt reaches
``n`` tokens the server compacts the conversation, sends the ``compaction`` item in the same response and
answers from the shorter context. The reference documents no default threshold; hfgate's is
:data:`DEFAULT_THRESHOLD` (docs/responses-api.md).
"""

from __future__ import annotations

from typing import Any

from hfgate.api.body import json_type
from hfgate.errors import RequestValidationError

DEFAULT_THRESHOLD = 100_000
SMALLEST = 1000


def compact_threshold(raw: Any) -> int | None:
    """The threshold asked for, or ``None`` (no compaction).

    Raises:
        RequestValidationError: not an array of ``{"type": "compaction", "compact_threshold"}`` objects; the
            message names the entry and the field.

    Example:
        >>> compact_threshold([{"type": "compaction", "compact_threshold": 6000}])
        6000
    """
    if raw is None:
        return None
    if not isinstance(raw, list):
        raise _invalid("context_management", "must be an array of entries", raw)
    threshold: int | None = None
    for i, entry in enumerate(raw):
        where = f"context_management[{i}]"
        if not isinstance(entry, dict) or entry.get("type") != "compaction":
            kind = entry.get("type") if isinstance(entry, dict) else entry
            raise _invalid(f"{where}.type", 'must be "compaction" (the one kind of context management)', kind)
        value = entry.get("compact_threshold", DEFAULT_THRESHOLD)
        if not isinstance(value, int) or isinstance(value, bool) or value < SMALLEST:
            raise _invalid(f"{where}.compact_threshold", f"must be an integer of {SMALLEST} or more (tokens)", value)
        threshold = value if threshold is None else min(threshold, value)
    return threshold


def _invalid(where: str, rule: str, value: Any) -> RequestValidationError:
    shown = value if isinstance(value, (str, int)) and len(str(value)) <= 40 else json_type(value)
    return RequestValidationError([f"Field [{where}] {rule}, got [{shown}]"], param=where)

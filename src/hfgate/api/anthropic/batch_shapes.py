"""A batch of the engine (:mod:`hfgate.batches`, OpenAI's shapes) as Anthropic's ``message_batch``, and a line's
recorded result as a line of the batch's results.

Statuses: ``in_progress`` (and the engine's ``finalizing``) is ``in_progress``, ``cancelling`` is
``canceling``, and ``completed``, ``cancelled``, ``expired`` are ``ended``. As Anthropic counts them, every
request is ``processing`` until the batch ends; then each is ``succeeded`` (answered 2xx), ``errored`` (any
other answer, or refused before it was sent), ``expired`` (never sent in the 24-hour window) or ``canceled``
(never sent, the batch cancelled). Times are RFC 3339 strings.

Example:
    >>> result_line("a", ok=None, recorded=None, status="cancelled")
    {'custom_id': 'a', 'result': {'type': 'canceled'}}
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import orjson

from hfgate.api.anthropic.errors import error_type
from hfgate.batches.store import LineResults, StoredBatch

ENDED = ("completed", "cancelled", "expired", "failed")
"""The engine's statuses of a batch whose processing ended."""

_STATUS = {"cancelling": "canceling", **{status: "ended" for status in ENDED}}
_EXPIRED = "batch_expired"


def rfc3339(seconds: int | None) -> str | None:
    """``2026-11-29T12:00:00Z`` (UTC), or ``None``."""
    if seconds is None:
        return None
    return datetime.fromtimestamp(seconds, UTC).isoformat().replace("+00:00", "Z")


def message_batch(stored: StoredBatch, *, counts: dict[str, int], results_url: str) -> dict[str, Any]:
    """Anthropic's ``message_batch`` of ``stored``, its requests counted (:func:`request_counts`)."""
    ended = stored.status in ENDED
    return {
        "id": stored.batch_id,
        "type": "message_batch",
        "processing_status": _STATUS.get(stored.status, "in_progress"),
        "request_counts": counts,
        "ended_at": rfc3339(next((stored.times[f"{s}_at"] for s in ENDED if f"{s}_at" in stored.times), None)),
        "created_at": rfc3339(stored.created_at),
        "expires_at": rfc3339(stored.expires_at),
        "cancel_initiated_at": rfc3339(stored.times.get("cancelling_at")),
        "archived_at": None,
        "results_url": results_url if ended else None,
    }


def request_counts(*, total: int, lines: LineResults | None = None, status: str) -> dict[str, int]:
    """Every one of the ``total`` requests ``processing`` until the batch ends, then each of its ``lines``
    (:meth:`~hfgate.batches.store.BatchStore.lines`) counted by its result's ``type``."""
    counts = {"processing": 0, "succeeded": 0, "errored": 0, "canceled": 0, "expired": 0}
    if status not in ENDED or lines is None:
        counts["processing"] = total
        return counts
    for custom_id, ok, recorded in lines:
        counts[str(result_line(custom_id, ok=ok, recorded=recorded, status=status)["result"]["type"])] += 1
    return counts


def result_line(custom_id: str, *, ok: bool | None, recorded: str | None, status: str) -> dict[str, Any]:
    """One line of the results: the engine's output or error line (``recorded``) as Anthropic's result."""
    return {"custom_id": custom_id, "result": _result(ok, recorded, status=status)}


def _result(ok: bool | None, recorded: str | None, *, status: str) -> dict[str, Any]:
    if recorded is None:
        return {"type": "expired" if status == "expired" else "canceled"}
    line = orjson.loads(recorded)
    response = line.get("response")
    if response is None:  # never sent: past the window, or refused before sending (a stream)
        error = line.get("error") or {}
        if error.get("code") == _EXPIRED:
            return {"type": "expired"}
        return {"type": "errored", "error": _error(400, str(error.get("message", "")))}
    body = response.get("body")
    if ok:
        return {"type": "succeeded", "message": body}
    if isinstance(body, dict) and body.get("type") == "error":
        return {"type": "errored", "error": {**body, "request_id": response.get("request_id")}}
    return {"type": "errored", "error": _error(int(response.get("status_code", 500)), str(body))}


def _error(status: int, message: str) -> dict[str, Any]:
    return {"type": "error", "error": {"type": error_type(status), "message": message}}

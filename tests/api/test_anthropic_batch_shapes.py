"""The engine's recorded line results as Anthropic's batch results and counts (the paths the SDK tests do not
reach: a window that passed, a line refused before it was sent)."""

from __future__ import annotations

import orjson

from hfgate.api.anthropic.batch_shapes import request_counts, result_line, rfc3339
from hfgate.batches import shapes

MESSAGE = {"id": "msg_1", "type": "message", "role": "assistant", "content": [{"type": "text", "text": "hi"}]}


def _answered(status: int, body: object) -> str:
    return orjson.dumps(shapes.output_line(custom_id="a", request_id="r1", status_code=status, body=body)).decode()


def _unsent(code: str) -> str:
    return orjson.dumps(shapes.unsent_line(custom_id="a", code=code, message="why")).decode()


def test_each_recorded_result_maps_to_its_anthropic_type() -> None:
    error = {"type": "error", "error": {"type": "not_found_error", "message": "no model"}}
    assert result_line("a", ok=True, recorded=_answered(200, MESSAGE), status="completed")["result"] == {
        "type": "succeeded", "message": MESSAGE,
    }  # fmt: skip
    assert result_line("a", ok=False, recorded=_answered(404, error), status="completed")["result"] == {
        "type": "errored", "error": {**error, "request_id": "r1"},
    }  # fmt: skip
    assert result_line("a", ok=False, recorded=_unsent("batch_expired"), status="expired")["result"] == {
        "type": "expired"
    }
    refused = result_line("a", ok=False, recorded=_unsent("invalid_request"), status="completed")["result"]
    assert refused == {"type": "errored", "error": {"type": "error", "error": {
        "type": "invalid_request_error", "message": "why"}}}  # fmt: skip
    assert result_line("a", ok=None, recorded=None, status="cancelled")["result"] == {"type": "canceled"}
    assert result_line("a", ok=None, recorded=None, status="expired")["result"] == {"type": "expired"}


def test_requests_are_processing_until_the_batch_ends_then_counted_by_result() -> None:
    lines = [("a", True, _answered(200, MESSAGE)), ("b", False, _unsent("batch_expired")), ("c", None, None)]
    assert request_counts(total=3, status="in_progress") == {
        "processing": 3, "succeeded": 0, "errored": 0, "canceled": 0, "expired": 0,
    }  # fmt: skip
    assert request_counts(total=3, lines=lines, status="expired") == {
        "processing": 0, "succeeded": 1, "errored": 0, "canceled": 0, "expired": 2,
    }  # fmt: skip


def test_times_are_rfc3339_in_utc() -> None:
    assert rfc3339(0) == "1970-01-01T00:00:00Z"
    assert rfc3339(None) is None

"""A batch input file is checked line by line before the batch starts; each error names its line."""

from __future__ import annotations

from typing import get_args

import orjson

from hfgate.api.openai.batch_schema import Endpoint
from hfgate.batches.input import ENDPOINTS, OPENAI_ENDPOINTS, read_lines

URL = "/v1/embeddings"


def line(custom_id: str, *, url: str = URL, **extra: object) -> bytes:
    return orjson.dumps({"custom_id": custom_id, "method": "POST", "url": url, "body": {"input": "x"}, **extra})


def test_good_lines_become_requests_in_order_with_blank_lines_skipped_but_counted() -> None:
    read = read_lines([line("a"), b"", line("b")], endpoint=URL, max_lines=10)
    assert read.errors == []
    assert [(r.line, r.custom_id, orjson.loads(r.body)) for r in read.requests] == [
        (1, "a", {"input": "x"}), (3, "b", {"input": "x"}),
    ]  # fmt: skip


def test_each_bad_line_is_named_by_its_number_and_openais_code() -> None:
    lines = [
        line("a"),
        b"{not json",
        line("b", url="/v1/chat/completions"),
        line("a"),
        orjson.dumps({"custom_id": "c", "method": "POST", "url": URL}),
        orjson.dumps({"custom_id": "d", "method": "GET", "url": URL, "body": {}}),
        orjson.dumps({"custom_id": "e", "method": "POST", "url": URL, "body": []}),
        b"[1, 2]",
    ]
    read = read_lines(lines, endpoint=URL, max_lines=10)
    assert [(e["line"], e["code"], e["param"]) for e in read.errors] == [
        (2, "invalid_json_line", None),
        (3, "mismatched_endpoint", "url"),
        (4, "duplicate_custom_id", "custom_id"),
        (5, "missing_required_parameter", "body"),
        (6, "invalid_method", "method"),
        (7, "invalid_body", "body"),
        (8, "invalid_json_line", None),
    ]


def test_an_empty_file_and_one_over_the_line_limit_are_errors_of_the_whole_file() -> None:
    assert [e["code"] for e in read_lines([b"", b"\n"], endpoint=URL, max_lines=1).errors] == ["empty_file"]
    over = read_lines([line("a"), line("b")], endpoint=URL, max_lines=1)
    assert [(e["code"], e["line"]) for e in over.errors] == [("too_many_requests", None)]
    assert "HFGATE_BATCH_INPUT_MAX_LINES" in over.errors[0]["message"]


def test_the_documented_endpoints_are_those_the_input_accepts() -> None:
    assert get_args(Endpoint) == OPENAI_ENDPOINTS
    assert (*OPENAI_ENDPOINTS, "/v1/messages") == ENDPOINTS  # an Anthropic message batch's lines


def test_a_custom_id_longer_than_the_registry_keeps_is_named() -> None:
    read = read_lines([line("x" * 1025), line("y" * 1024)], endpoint=URL, max_lines=10)
    assert [(e["line"], e["code"]) for e in read.errors] == [(1, "invalid_custom_id")]

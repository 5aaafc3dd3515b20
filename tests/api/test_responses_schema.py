"""The Responses API's request types (``api/openai/responses_schema.py``) decode ``POST /v1/responses`` and
``/v1/responses/compact``: each wrong type is named as the client spelled it, nothing is coerced, fields the
model does not name are passed through as sent; over HTTP a refusal is a 400 in OpenAI's shape. The body of
``POST /_hfgate/apply`` is decoded the same way (``api/apply/schema.py``), in Elasticsearch's envelope."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from hfgate.api.openai.responses_compact import read_compact
from hfgate.api.openai.responses_input import read_call
from hfgate.config import Settings
from hfgate.errors import HfGateError, RequestValidationError
from tests.conftest import app_client

ASK: Any = {"model": "m", "input": "Hi"}


@pytest.mark.parametrize(
    ("body", "field", "words"),
    [
        ({"input": "Hi"}, "model", "is required: the id of an hfgate endpoint"),
        ({"model": "m"}, "input", "is required: A user message, or items"),
        (ASK | {"temperature": "hot"}, "temperature", "must be a number, got [string]"),
        (ASK | {"max_output_tokens": 1.5}, "max_output_tokens", "must be an integer, got [number]"),
        (ASK | {"store": "no"}, "store", "must be a boolean, got [string]"),
        (ASK | {"metadata": {"k": 1}}, "metadata.k", "must be a string, got [number]"),
        (ASK | {"reasoning": {"effort": 3}}, "reasoning.effort", "must be a string, got [number]"),
        (ASK | {"reasoning": "high"}, "reasoning", "must be an object, got [string]"),
        (ASK | {"truncation": "middle"}, "truncation", "must be 'auto' or 'disabled', got [middle]"),
        (ASK | {"tools": {"type": "function"}}, "tools", "must be an array, got [object]"),
        (ASK | {"include": [1]}, "include[0]", "must be a string, got [number]"),
    ],
)
def test_a_wrong_field_is_refused_naming_it(body: dict[str, Any], field: str, words: str) -> None:
    with pytest.raises(RequestValidationError) as refused:
        read_call(body)
    assert refused.value.param == field
    assert f"Field [{field}] {words}" in refused.value.problems[0]


def test_what_the_model_does_not_name_is_passed_through_as_sent() -> None:
    call = read_call(ASK | {"client_metadata": {"session": "s"}, "min_p": 0.1, "temperature": 0, "store": False})
    assert call.params.passthrough == {"client_metadata": {"session": "s"}, "min_p": 0.1}
    assert (call.params.temperature, call.params.do_sample, call.store) == (0.0, False, False)


@pytest.mark.parametrize(
    ("body", "field"),
    [({"input": "Hi"}, "model"), ({"model": "m"}, "input"), ({"model": "m", "previous_response_id": 3},
     "previous_response_id")],
)  # fmt: skip
def test_a_compact_request_names_what_is_wrong(body: dict[str, Any], field: str) -> None:
    with pytest.raises(HfGateError) as refused:
        read_compact(body)
    assert refused.value.param == field


async def test_refusals_over_http_are_400s_in_their_faces_shape(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path, log_format="text")
    async with app_client(settings) as http:
        responses = await http.post("/v1/responses", json=ASK | {"metadata": {"k": 1}})
        apply = await http.post("/_hfgate/apply", json={"document": "{}", "dry_run": "yes"})
    assert responses.status_code == 400, responses.text
    error = responses.json()["error"]
    assert (error["type"], error["param"]) == ("invalid_request_error", "metadata.k")
    assert "Field [metadata.k] must be a string, got [number]" in error["message"]
    assert apply.status_code == 400, apply.text
    assert apply.json()["error"]["type"] == "validation_exception"
    assert "Field [dry_run] must be a boolean, got [string]" in apply.json()["error"]["reason"]

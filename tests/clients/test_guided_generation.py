"""Guided generation on a local model (llguidance) through the OpenAI SDK's ``response_format`` and
``InferenceClient.text_generation(grammar=…)``: every answer parses and matches what was asked; a bad
schema or regex is a 4xx naming the field."""

from __future__ import annotations

import json
import re
from typing import Any

import httpx
import pytest

from tests.support.apart import run_client

GENERATOR = ".smollm2-135m-instruct"


@pytest.fixture(scope="module")
def answers(gate: str) -> dict[str, Any]:
    # load the model first (its loading is outside the requests' time limit; a busy machine needs it)
    warm = {"inputs": "Hi", "parameters": {"max_new_tokens": 1}}
    assert httpx.post(f"{gate}/hf/{GENERATOR}/generate", json=warm, timeout=900).status_code == 200
    result: dict[str, Any] = run_client(None, "guided_calls.py", gate, GENERATOR)
    return result


def _city(text: str) -> dict[str, Any]:
    value: dict[str, Any] = json.loads(text)
    assert set(value) == {"city", "country"}
    assert all(isinstance(v, str) and len(v) <= 20 for v in value.values())
    return value


def test_openai_json_schema_answers_match_the_schema(answers: dict[str, Any]) -> None:
    _city(answers["openai_json_schema"])


def test_openai_json_object_answers_are_json_objects(answers: dict[str, Any]) -> None:
    assert isinstance(json.loads(answers["openai_json_object"]), dict)


def test_tgi_grammar_json_and_regex(answers: dict[str, Any]) -> None:
    _city(answers["tgi_json"])
    assert re.fullmatch(r"1[89][0-9]{2}", answers["tgi_regex"]), answers["tgi_regex"]


def test_an_invalid_grammar_is_refused_naming_the_field(gate: str) -> None:
    body = {"inputs": "x", "parameters": {"grammar": {"type": "regex", "value": "(unclosed"}}}
    answer = httpx.post(f"{gate}/hf/{GENERATOR}/generate", json=body, timeout=600)
    assert answer.status_code == 422, answer.text
    assert "parameters.grammar" in answer.json()["error"]
    chat = {"model": GENERATOR, "messages": [{"role": "user", "content": "x"}], "response_format": {"type": "xml"}}
    refused = httpx.post(f"{gate}/v1/chat/completions", json=chat, timeout=60)
    assert refused.status_code == 400
    assert "response_format.type" in refused.json()["error"]["message"]

"""TGI's own Python client, ``text-generation`` (installed apart: it pins huggingface_hub<1), against a
live hfgate: Client and AsyncClient generate with details, top_n_tokens and a stop sequence, stream,
and chat; each answer checked for content."""

from __future__ import annotations

from typing import Any

import pytest

from tests.support.apart import run_client

GENERATOR = ".smollm2-135m-instruct"


@pytest.fixture(scope="module")
def answers(gate: str) -> dict[str, Any]:
    result: dict[str, Any] = run_client("tgi", "tgi_calls.py", gate, GENERATOR)
    return result


def test_generate_returns_details_with_logprobs_top_tokens_and_prefill(answers: dict[str, Any]) -> None:
    generated = answers["sync"]["generate"]
    details = generated["details"]
    assert generated["generated_text"].strip()
    assert details["generated_tokens"] == len(details["tokens"]) == len(details["top_tokens"])
    assert all(t["logprob"] < 0 or t["logprob"] == 0 for t in details["tokens"])
    assert all(len(step) == 2 for step in details["top_tokens"])
    assert "".join(t["text"] for t in details["tokens"]) == generated["generated_text"]
    assert [t["text"] for t in details["prefill"]][-1].strip() == "is"


def test_generate_stream_matches_generate(answers: dict[str, Any]) -> None:
    sync = answers["sync"]
    assert sync["stream_text"] == sync["generate"]["generated_text"]
    assert sync["stream_last"]["generated_text"] == sync["stream_text"]
    assert sync["stream_last"]["details"]["finish_reason"] == "length"
    assert answers["async"]["stream_text"] == sync["stream_text"]


def test_a_stop_sequence_ends_the_text_and_stays_in_it(answers: dict[str, Any]) -> None:
    generated = answers["async"]["generate"]
    assert generated["generated_text"].endswith("Paris"), generated
    assert generated["details"]["finish_reason"] == "stop_sequence"


def test_chat_answers_with_a_fingerprint(answers: dict[str, Any]) -> None:
    for flavour in ("sync", "async"):
        chat = answers[flavour]["chat"]
        assert chat["choices"][0]["message"]["role"] == "assistant"
        assert chat["choices"][0]["message"]["content"].strip()
        assert chat["system_fingerprint"].startswith("hfgate-")

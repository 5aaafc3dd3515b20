"""The wire formats: every answer shape the reference lists is read, and broken ones are refused."""

from __future__ import annotations

import pytest

from hfgate.tasks import GenerationParams, Usage
from hfgate.upstream.wire.chat import chat_payload, chat_url, parse_chat, parse_chat_chunk
from hfgate.upstream.wire.common import WireFormatError
from hfgate.upstream.wire.embeddings import cut_to_tokens, embeddings_payload, parse_embeddings
from hfgate.upstream.wire.info import parse_info
from hfgate.upstream.wire.rerank import parse_rerank, parse_similarity, rerank_url
from hfgate.upstream.wire.text2text import parse_text2text, text2text_parameters
from hfgate.upstream.wire.tgi import (
    generate_payload,
    parse_generation,
    parse_stream_event,
    tgi_parameters,
    unused_model_kwargs,
)


def test_embeddings_body_is_exactly_inputs() -> None:
    assert embeddings_payload(("a", "b")) == {"inputs": ["a", "b"]}


@pytest.mark.parametrize(
    ("body", "count", "expected"),
    [
        ([[1.0, 2.0], [3.0, 4.0]], 2, [[1.0, 2.0], [3.0, 4.0]]),
        ([1.0, 2.0], 1, [[1.0, 2.0]]),
        ({"embeddings": [[1.0, 2.0]]}, 1, [[1.0, 2.0]]),
        ([[[1.0, 2.0], [3.0, 6.0]]], 1, [[2.0, 4.0]]),
        ({"data": [{"embedding": [2.0], "index": 1}, {"embedding": [1.0], "index": 0}]}, 2, [[1.0], [2.0]]),
    ],
    ids=["2-D", "1-D", "embeddings-object", "3-D-mean-pooled", "openai-data"],
)
def test_every_embedding_shape_is_read(body: object, count: int, expected: list[list[float]]) -> None:
    assert parse_embeddings(body, count=count) == expected


@pytest.mark.parametrize(
    "body", [[[1.0]], {"error_free": 1}, "text", [["a"]], [[]]], ids=["count", "object", "str", "strings", "empty"]
)
def test_broken_embedding_answers_are_refused(body: object) -> None:
    with pytest.raises(WireFormatError):
        parse_embeddings(body, count=2 if body == [[1.0]] else 1)


def test_max_input_tokens_cuts_three_characters_per_token() -> None:
    assert cut_to_tokens(["abcdefgh", "ab"], 2) == ["abcdef", "ab"]
    assert cut_to_tokens(["abc"], None) == ["abc"]


def test_tgi_parameters_merge_settings_and_request_and_never_echo_the_prompt() -> None:
    params = tgi_parameters(
        {"typical_p": 0.5, "watermark": True, "max_new_tokens": 9, "unrelated": 1},
        GenerationParams(max_new_tokens=3, stop=("\n",), seed=7),
    )
    assert params == {
        "typical_p": 0.5,
        "watermark": True,
        "max_new_tokens": 3,
        "seed": 7,
        "stop": ["\n"],
        "return_full_text": False,
        "details": True,
    }
    assert generate_payload("Hi", params, stream=True)["stream"] is True
    assert "stream" not in generate_payload("Hi", params)


def test_tgi_temperature_zero_means_greedy() -> None:
    params = tgi_parameters({}, GenerationParams(temperature=0.0))
    assert "temperature" not in params
    assert params["do_sample"] is False


def test_tgi_answers_from_root_and_generate_routes_are_read() -> None:
    details = {"finish_reason": "stop_sequence", "generated_tokens": 4}
    listed = parse_generation([{"generated_text": "hi", "details": details}])
    single = parse_generation({"generated_text": "hi", "details": details})
    assert listed == single
    assert listed.finish_reason == "stop_sequence"
    assert listed.usage == Usage(completion_tokens=4)
    with pytest.raises(WireFormatError):
        parse_generation([])


def test_tgi_stream_events_skip_special_tokens_and_carry_details_last() -> None:
    token = {"id": 2, "text": "</s>", "logprob": 0.0, "special": True}
    last = parse_stream_event(
        {
            "index": 3,
            "token": token,
            "generated_text": "x",
            "details": {"finish_reason": "length", "generated_tokens": 3},
        }
    )
    assert last.text == ""
    assert last.finish_reason == "length"
    middle = parse_stream_event({"index": 1, "token": {"id": 5, "text": " a", "special": False}, "details": None})
    assert (middle.text, middle.token_id, middle.finish_reason) == (" a", 5, None)


def test_model_kwargs_refusals_name_the_parameters_to_drop() -> None:
    reason = "The following `model_kwargs` are not used by the model: ['watermark', \"top_n_tokens\"] (note: …)"
    assert unused_model_kwargs(reason) == ["watermark", "top_n_tokens"]
    assert unused_model_kwargs("some other 400") == []


def test_text2text_answers_have_no_echo_and_drop_tgi_only_parameters() -> None:
    assert parse_text2text([{"generated_text": "Bonjour"}]).text == "Bonjour"
    kept = text2text_parameters({"max_new_tokens": 3, "details": True, "return_full_text": False, "truncation": 1})
    assert kept == {"max_new_tokens": 3, "truncation": 1}


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("http://tgi:8080", "http://tgi:8080/v1/chat/completions"),
        ("http://tgi:8080/", "http://tgi:8080/v1/chat/completions"),
        ("http://tgi:8080/v1", "http://tgi:8080/v1/chat/completions"),
        ("http://tgi:8080/v1/chat/completions", "http://tgi:8080/v1/chat/completions"),
    ],
)
def test_chat_urls_follow_huggingface_hub_suffix_rules(url: str, expected: str) -> None:
    assert chat_url(url) == expected


def test_chat_body_and_answers() -> None:
    from hfgate.chat.messages import ChatMessage

    body = chat_payload(
        model="m",
        messages=(ChatMessage(role="user", content="hi"),),
        params=GenerationParams(max_new_tokens=5),
        settings={"presence_penalty": 0.1, "max_new_tokens": 9},
        stream=True,
    )
    assert body["max_tokens"] == 5
    assert body["presence_penalty"] == 0.1
    assert body["stream_options"] == {"include_usage": True}
    answer = parse_chat(
        {
            "choices": [{"message": {"content": "yo"}, "finish_reason": "length"}],
            "usage": {"prompt_tokens": 3, "completion_tokens": 1},
        }
    )
    assert (answer.text, answer.finish_reason, answer.usage) == (
        "yo",
        "length",
        Usage(prompt_tokens=3, completion_tokens=1),
    )
    assert parse_chat_chunk({"choices": [], "usage": {"prompt_tokens": 1, "completion_tokens": 2}}).usage is not None
    with pytest.raises(WireFormatError):
        parse_chat({"choices": []})


def test_rerank_answers_and_routes() -> None:
    assert rerank_url("http://tei:8080/") == "http://tei:8080/rerank"
    assert rerank_url("http://tei:8080/rerank") == "http://tei:8080/rerank"
    assert parse_rerank([{"index": 1, "score": 0.9}, {"index": 0, "score": 0.1, "text": "a"}]) == [(1, 0.9), (0, 0.1)]
    assert parse_similarity([0.5, 1], count=2) == [(0, 0.5), (1, 1.0)]
    with pytest.raises(WireFormatError):
        parse_rerank([{"index": "x", "score": 1}])
    with pytest.raises(WireFormatError):
        parse_similarity([0.5], count=2)


def test_info_of_tei_and_tgi() -> None:
    tei = parse_info({"model_id": "m", "model_type": {"reranker": {}}, "max_client_batch_size": 8})
    assert (tei.kind, tei.max_client_batch_size) == ("reranker", 8)
    tgi = parse_info({"model_id": "g", "max_total_tokens": 4096, "max_input_tokens": 4095})
    assert (tgi.kind, tgi.max_input_tokens) == ("generation", 4095)
    assert parse_info("nonsense").model_id is None

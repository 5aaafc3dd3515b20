"""The wire formats the engines and providers added: OpenAI completions, ``/v1/models``, the Cohere/Jina
rerank shape, TEI's sparse answer and what ``/info`` says of the engine; malformed answers are named."""

from __future__ import annotations

import pytest

from hfgate.tasks import GenerationParams
from hfgate.upstream.hub.model_info import parse_model_info
from hfgate.upstream.wire.common import WireFormatError
from hfgate.upstream.wire.completions import completions_payload, parse_completion, parse_completion_chunk
from hfgate.upstream.wire.info import parse_info
from hfgate.upstream.wire.models import parse_models
from hfgate.upstream.wire.rerank import documents_rerank_payload, parse_documents_rerank
from hfgate.upstream.wire.sparse import parse_sparse


def test_a_completions_body_carries_settings_then_params_and_asks_for_usage_when_streaming() -> None:
    body = completions_payload(
        model="m",
        prompt="p",
        settings={"presence_penalty": 0.5, "max_new_tokens": 9, "tools": []},
        params=GenerationParams(max_new_tokens=3, temperature=0.0),
        stream=True,
    )
    assert body == {
        "presence_penalty": 0.5,
        "max_tokens": 3,
        "temperature": 0.0,
        "model": "m",
        "prompt": "p",
        "stream": True,
        "stream_options": {"include_usage": True},
    }
    assert "model" not in completions_payload(
        model="", prompt="p", settings={}, params=GenerationParams(), stream=False
    )


def test_a_completion_and_its_chunks_are_read_with_usage() -> None:
    answer = parse_completion(
        {"choices": [{"text": "hi", "finish_reason": "stop"}], "usage": {"prompt_tokens": 2, "completion_tokens": 1}}
    )
    assert (answer.text, answer.finish_reason, answer.usage and answer.usage.completion_tokens) == (
        "hi",
        "eos_token",
        1,
    )
    usage_only = parse_completion_chunk({"choices": [], "usage": {"prompt_tokens": 2, "completion_tokens": 5}})
    assert (usage_only.text, usage_only.finish_reason) == ("", None)
    assert usage_only.usage is not None
    with pytest.raises(WireFormatError, match=r"has no \[choices\]"):
        parse_completion({"choices": []})


def test_the_models_list_names_the_base_model_not_an_adapter() -> None:
    body = {"data": [{"id": "lora", "owned_by": "vllm", "parent": "base"}, {"id": "base", "owned_by": "vllm"}]}
    assert parse_models(body).name == "base"
    with pytest.raises(WireFormatError, match=r"no \[data\] entries"):
        parse_models({"data": []})


def test_the_documents_rerank_shape_is_read_and_checked() -> None:
    assert documents_rerank_payload("", "q", ["a"]) == {"query": "q", "documents": ["a"]}
    assert parse_documents_rerank({"results": [{"index": 1, "relevance_score": 0.5}]}) == [(1, 0.5)]
    with pytest.raises(WireFormatError, match=r"relevance_score"):
        parse_documents_rerank({"results": [{"index": 1, "score": 0.5}]})


def test_sparse_answers_are_read_and_checked() -> None:
    assert parse_sparse([[{"index": 3, "value": 0.5}], []], count=2) == [{3: 0.5}, {}]
    with pytest.raises(WireFormatError, match=r"expected \[1\] sparse embeddings"):
        parse_sparse([], count=1)


@pytest.mark.parametrize(
    ("body", "engine", "pooling"),
    [
        ({"model_type": {"embedding": {"pooling": "splade"}}}, "tei", "splade"),
        ({"model_id": "m", "max_total_tokens": 10}, "tgi", None),
        ({"model_id": "m", "router": "text-generation-router"}, "tgi", None),
        ({"version": "0.9"}, None, None),
    ],
)
def test_info_says_which_engine_answered(body: dict[str, object], engine: str | None, pooling: str | None) -> None:
    info = parse_info(body)
    assert (info.engine, info.pooling) == (engine, pooling)


def test_the_hubs_provider_mapping_is_read_in_order_from_either_shape() -> None:
    as_dict = {"inferenceProviderMapping": {"b": {"task": "conversational", "providerId": "B", "status": "staging"},
                                            "a": {"task": "conversational"}}}  # fmt: skip
    as_list = {"inferenceProviderMapping": [{"provider": "b", "task": "conversational", "providerId": "B"}]}
    read = parse_model_info(as_dict, "org/m").mapping
    assert read is not None
    assert [(e.provider, e.provider_id, e.status) for e in read] == [("b", "B", "staging"), ("a", "org/m", "live")]
    listed = parse_model_info(as_list, "org/m").mapping
    assert listed is not None
    assert [(e.provider, e.provider_id) for e in listed] == [("b", "B")]
    assert parse_model_info({}, "org/m").mapping is None

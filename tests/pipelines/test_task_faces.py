"""The Hub's tasks on other servers' routes, against a live hfgate: TEI's ``/predict``, ``/similarity``,
``/decode`` and ``/embed_all`` under ``/hf/{id}``, vLLM's ``/classify`` and ``/score``, and OpenAI's
``/v1/moderations`` with the openai SDK. Each answer equals what ``POST /hf/{id}`` gives on the same endpoint;
bad inputs are 4xx naming the field. The last three as a batch's ``endpoint``: each line answered as the request
sent alone."""

from __future__ import annotations

import io
import time
from typing import Any

import httpx
import openai
import orjson
import pytest

from hfgate.api.openai.moderations import neutral
from tests.local.tiny_encoders import TinyEncoders, tiny_encoders

__all__ = ["tiny_encoders"]

TEXT = "Paris is the capital of France."
OTHER = "The weather is nice today."


def _post(url: str, path: str, body: dict[str, Any], *, status: int = 200) -> Any:
    answer = httpx.post(f"{url}{path}", json=body, timeout=120)
    assert answer.status_code == status, answer.text
    return answer.json()


def _hf(url: str, inference_id: str, inputs: Any, parameters: dict[str, Any] | None = None) -> Any:
    return _post(url, f"/hf/{inference_id}", {"inputs": inputs, "parameters": parameters or {}})


def _sdk(url: str) -> openai.OpenAI:
    return openai.OpenAI(base_url=f"{url}/v1", api_key="unused", max_retries=0, timeout=120)


def _close(ours: list[dict[str, Any]], theirs: list[dict[str, Any]]) -> None:
    assert [o["label"] for o in ours] == [t["label"] for t in theirs]
    assert [o["score"] for o in ours] == pytest.approx([t["score"] for t in theirs], abs=1e-5)


def test_predict_answers_one_text_flat_and_a_batch_listed_as_the_inference_api(served: str) -> None:
    (hosted,) = _hf(served, "clf", [TEXT])
    _close(_post(served, "/hf/clf/predict", {"inputs": TEXT}), hosted)
    _close(_post(served, "/hf/clf/predict", {"inputs": [TEXT]}), hosted)
    batch = _post(served, "/hf/clf/predict", {"inputs": [[TEXT], [OTHER]]})
    for ours, theirs in zip(batch, _hf(served, "clf", [TEXT, OTHER]), strict=True):
        _close(ours, theirs)
    (raw,) = _hf(served, "clf", [TEXT], {"function_to_apply": "none"})
    _close(_post(served, "/hf/clf/predict", {"inputs": TEXT, "raw_scores": True}), raw)


def test_predict_refuses_a_pair_and_another_task_naming_them(served: str) -> None:
    pair = _post(served, "/hf/clf/predict", {"inputs": [TEXT, OTHER]}, status=422)  # TEI's status for bad input
    assert "inputs" in pair["error"]
    assert "pair" in pair["error"]
    in_batch = _post(served, "/hf/clf/predict", {"inputs": [[TEXT], [TEXT, OTHER]]}, status=422)
    assert "inputs[1]" in in_batch["error"]
    wrong = _post(served, "/hf/clf/predict", {"inputs": 3}, status=422)
    assert "inputs" in wrong["error"]
    assert "task_type" in _post(served, "/hf/sim/predict", {"inputs": TEXT}, status=422)["error"]


def test_similarity_equals_the_hosted_sentence_similarity(served: str) -> None:
    inputs = {"source_sentence": TEXT, "sentences": [OTHER, TEXT]}
    ours = _post(served, "/hf/sim/similarity", {"inputs": inputs})
    assert ours == pytest.approx(_hf(served, "sim", inputs), abs=1e-6)
    assert ours[1] == pytest.approx(1.0, abs=1e-4)
    missing = _post(served, "/hf/sim/similarity", {"inputs": {"source_sentence": TEXT}}, status=422)
    assert "inputs.sentences" in missing["error"]
    empty = _post(served, "/hf/sim/similarity", {"inputs": {"source_sentence": TEXT, "sentences": []}}, status=400)
    assert "inputs.sentences" in empty["error"]


def test_decode_gives_back_what_tokenize_read(served: str) -> None:
    tokens = _post(served, "/hf/clf/tokenize", {"inputs": [TEXT, OTHER]})
    rows = [[token["id"] for token in row] for row in tokens]
    assert _post(served, "/hf/clf/decode", {"ids": rows}) == [TEXT.lower(), OTHER.lower()]  # an uncased vocabulary
    (with_special,) = _post(served, "/hf/clf/decode", {"ids": rows[0], "skip_special_tokens": False})
    assert with_special.startswith("[CLS]")
    assert "ids" in _post(served, "/hf/clf/decode", {"ids": [10**9]}, status=422)["error"]
    assert "ids" in _post(served, "/hf/clf/decode", {"ids": "hi"}, status=422)["error"]


def test_embed_all_is_refused_saying_why(served: str) -> None:
    httpx.put(
        f"{served}/_inference/text_embedding/emb",
        json={"service": "local", "service_settings": {"model": "all-MiniLM-L6-v2"}},
        timeout=300,
    ).raise_for_status()
    refused = _post(served, "/hf/emb/embed_all", {"inputs": TEXT}, status=422)
    assert refused["error_type"] == "Validation"
    assert "not served" in refused["error"]
    assert "/embed" in refused["error"]


def test_classify_gives_the_best_label_and_every_class_by_id(served: str) -> None:
    answer = _post(served, "/classify", {"model": "clf", "input": [TEXT, OTHER]})
    assert answer["object"] == "list"
    assert answer["model"] == "clf"
    assert answer["usage"]["prompt_tokens"] > 0
    for index, (item, hosted) in enumerate(zip(answer["data"], _hf(served, "clf", [TEXT, OTHER]), strict=True)):
        scores = {hit["label"]: hit["score"] for hit in hosted}
        assert item["index"] == index
        assert item["num_classes"] == 3
        assert item["label"] == hosted[0]["label"]
        assert item["probs"] == pytest.approx([scores[label] for label in ("negative", "neutral", "positive")])
    same = _post(served, "/v1/classify", {"model": "clf", "input": TEXT})
    assert same["data"][0]["probs"] == pytest.approx(answer["data"][0]["probs"])


def test_classify_refuses_another_task_and_empty_input_naming_the_field(served: str) -> None:
    assert _post(served, "/classify", {"model": "sim", "input": TEXT}, status=400)["error"]["param"] == "model"
    assert _post(served, "/classify", {"model": "clf", "input": []}, status=400)["error"]["param"] == "input"
    assert _post(served, "/classify", {"model": "clf"}, status=400)["error"]["param"] == "input"


def test_score_pairs_one_to_many_and_many_to_many_by_cosine(served: str) -> None:
    hosted = _hf(served, "sim", {"source_sentence": TEXT, "sentences": [OTHER, TEXT]})
    one_to_many = _post(served, "/score", {"model": "sim", "text_1": TEXT, "text_2": [OTHER, TEXT]})
    assert [d["index"] for d in one_to_many["data"]] == [0, 1]
    assert {d["object"] for d in one_to_many["data"]} == {"score"}
    assert [d["score"] for d in one_to_many["data"]] == pytest.approx(hosted, abs=1e-6)
    pairs = _post(served, "/v1/score", {"model": "sim", "text_1": [TEXT, OTHER], "text_2": [OTHER, OTHER]})
    assert [d["score"] for d in pairs["data"]] == pytest.approx([hosted[0], 1.0], abs=1e-4)


def test_score_on_a_rerank_endpoint_gives_the_cross_encoders_relevance(
    served: str, tiny_encoders: TinyEncoders
) -> None:
    body = {"service": "local", "service_settings": {"model": str(tiny_encoders.cross_encoder)}}
    httpx.put(f"{served}/_inference/rerank/ce", json=body, timeout=300).raise_for_status()
    ranked = _post(served, "/hf/ce/rerank", {"query": TEXT, "texts": [OTHER, TEXT]})
    by_index = [hit["score"] for hit in sorted(ranked, key=lambda hit: hit["index"])]
    one_to_many = _post(served, "/score", {"model": "ce", "text_1": TEXT, "text_2": [OTHER, TEXT]})
    assert [d["score"] for d in one_to_many["data"]] == pytest.approx(by_index, abs=1e-5)
    pairs = _post(served, "/score", {"model": "ce", "text_1": [TEXT, TEXT], "text_2": [OTHER, TEXT]})
    assert [d["score"] for d in pairs["data"]] == pytest.approx(by_index, abs=1e-5)


def test_score_refuses_uneven_lists_and_another_task_naming_the_field(served: str) -> None:
    uneven = _post(served, "/score", {"model": "sim", "text_1": [TEXT, OTHER], "text_2": [TEXT]}, status=400)
    assert uneven["error"]["param"] == "text_2"
    assert (
        _post(served, "/score", {"model": "clf", "text_1": TEXT, "text_2": OTHER}, status=400)["error"]["param"]
        == "model"
    )
    assert (
        _post(served, "/score", {"model": "sim", "text_1": "", "text_2": OTHER}, status=400)["error"]["param"]
        == "text_1"
    )


def test_moderations_score_every_label_by_sigmoid_and_flag_a_found_non_neutral_one(served: str) -> None:
    moderated = _sdk(served).moderations.create(model="clf", input=[TEXT, OTHER])
    assert moderated.model == "clf"
    hosted = _hf(served, "clf", [TEXT, OTHER], {"function_to_apply": "sigmoid"})
    for result, row in zip(moderated.results, hosted, strict=True):
        scores = result.model_dump(exclude_none=True)["category_scores"]  # the SDK adds OpenAI's own, unset
        assert scores == pytest.approx({hit["label"]: hit["score"] for hit in row})
        found = result.model_dump(exclude_none=True)["categories"]
        assert found == {label: score >= 0.5 for label, score in scores.items()}
        assert result.flagged == any(hit for label, hit in found.items() if label != "neutral")


def test_moderations_refuse_a_missing_model_and_a_non_classifier(served: str) -> None:
    with pytest.raises(openai.BadRequestError) as wrong:
        _sdk(served).moderations.create(model="sim", input=TEXT)
    assert wrong.value.body["param"] == "model"  # type: ignore[index]
    missing = _post(served, "/v1/moderations", {"input": TEXT}, status=400)
    assert missing["error"]["param"] == "model"
    image = [{"type": "image_url", "image_url": {"url": "data:,"}}]
    assert _post(served, "/v1/moderations", {"model": "clf", "input": image}, status=400)["error"]["param"] == "input"


@pytest.mark.parametrize(
    ("label", "is_neutral"),
    [("neutral", True), ("non-toxic", True), ("Non_Toxic", True), ("SAFE", True), ("LABEL_0", True),
     ("LABEL_1", False), ("toxic", False), ("hate", False)],
)  # fmt: skip
def test_neutral_labels_are_those_saying_nothing_was_found(label: str, is_neutral: bool) -> None:
    assert neutral(label) is is_neutral


LINES = [
    ("/v1/classify", {"model": "clf", "input": [TEXT, OTHER]}),
    ("/v1/score", {"model": "sim", "text_1": TEXT, "text_2": [OTHER, TEXT]}),
    ("/v1/moderations", {"model": "clf", "input": [TEXT, OTHER]}),
]


def _finished(sdk: openai.OpenAI, batch_id: str) -> Any:
    deadline = time.monotonic() + 120
    while (batch := sdk.batches.retrieve(batch_id)).status not in ("completed", "failed", "cancelled", "expired"):
        assert time.monotonic() < deadline, f"the batch is still {batch.status}"
        time.sleep(0.1)
    return batch


@pytest.mark.parametrize(("url", "body"), LINES, ids=[url for url, _ in LINES])
def test_a_task_route_batch_answers_each_line_as_the_request_sent_alone(
    served: str, url: str, body: dict[str, Any]
) -> None:
    sdk = _sdk(served)
    line = orjson.dumps({"custom_id": "t", "method": "POST", "url": url, "body": body}) + b"\n"
    made = sdk.files.create(file=("in.jsonl", io.BytesIO(line)), purpose="batch")
    batch = _finished(sdk, sdk.batches.create(input_file_id=made.id, endpoint=url, completion_window="24h").id)  # type: ignore[arg-type]
    assert batch.status == "completed", batch
    assert batch.output_file_id is not None
    (answered,) = [orjson.loads(raw) for raw in sdk.files.content(batch.output_file_id).content.splitlines()]
    alone = httpx.post(f"{served}{url}", json=body, timeout=120).json()
    got = answered["response"]["body"]
    assert answered["response"]["status_code"] == 200
    for field in ("data", "results"):
        if field in alone:
            assert _rounded(got[field]) == _rounded(alone[field])
    assert {"data", "results"} & set(alone)


def _rounded(value: Any) -> Any:
    """``value`` with its floats to 5 places (a batch's pass may pad the texts with others')."""
    if isinstance(value, float):
        return round(value, 5)
    if isinstance(value, list):
        return [_rounded(item) for item in value]
    if isinstance(value, dict):
        return {key: _rounded(item) for key, item in value.items() if key not in ("id", "created")}
    return value

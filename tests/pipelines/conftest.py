"""A live hfgate (the module's own, no default endpoints) with a ``local`` endpoint on each tiny model of
``tiny_models.py``, and ``InferenceClient`` pointed at it."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from huggingface_hub import InferenceClient

from hfgate.config import Settings
from tests.pipelines.tiny_models import TinyModels, build

ENDPOINTS = {
    "clf": ("text-classification", "classifier"),
    "nli": ("zero-shot-classification", "nli"),
    "ner": ("token-classification", "ner"),
    "mlm": ("fill-mask", "masked"),
    "qa": ("question-answering", "qa"),
    "tqa": ("table-question-answering", "tapas"),
    "sum": ("summarization", "seq2seq"),
    "mt": ("translation", "translator"),
    "asr": ("automatic-speech-recognition", "ctc"),
    "whisper": ("automatic-speech-recognition", "whisper"),
    "kws": ("audio-classification", "audio_classifier"),
    "sim": ("sentence-similarity", None),
}


@pytest.fixture(scope="session")
def tiny(tmp_path_factory: pytest.TempPathFactory) -> TinyModels:
    return build(tmp_path_factory.mktemp("tiny-models"))


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory, tiny: TinyModels) -> Iterator[str]:
    """The server's url, every endpoint of :data:`ENDPOINTS` created (each create's validation may take up to
    240 s: the embedder's ONNX export runs beside the classifier's on a busy 2-core machine)."""
    from tests.support.live_server import live_server

    settings = Settings(
        data_dir=tmp_path_factory.mktemp("pipelines"),
        log_format="text",
        log_level="warning",
        provision_defaults=False,
        preload_models=False,
    )
    with live_server(settings) as url:
        for inference_id, (task, model) in ENDPOINTS.items():
            path = "all-MiniLM-L6-v2" if model is None else str(getattr(tiny, model))
            body = {"service": "local", "service_settings": {"model": path}}
            created = httpx.put(f"{url}/_inference/{task}/{inference_id}?timeout=240s", json=body, timeout=300)
            assert created.status_code == 200, created.text
        yield url


@pytest.fixture(autouse=True)
def _online_client(monkeypatch: pytest.MonkeyPatch) -> None:
    """InferenceClient refuses every URL with HF_HUB_OFFLINE=1 (the suite's), even a local one."""
    from huggingface_hub import constants

    monkeypatch.setattr(constants, "HF_HUB_OFFLINE", False)


def client(url: str, inference_id: str) -> InferenceClient:
    return InferenceClient(model=f"{url}/hf/{inference_id}", provider="hf-inference", timeout=120)


def model_path(tiny: TinyModels, inference_id: str) -> Path:
    return Path(getattr(tiny, ENDPOINTS[inference_id][1] or ""))

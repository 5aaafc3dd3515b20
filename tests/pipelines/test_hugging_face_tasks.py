"""The same ``InferenceClient`` methods through the ``hugging_face`` service: an endpoint by url on a server
speaking the Inference API (here hfgate's own ``/hf/{id}``, as a second hfgate or an Inference Endpoint
would be reached), whose answers must equal the local endpoint's it relays."""

from __future__ import annotations

import httpx
import pytest

from tests.pipelines.conftest import ENDPOINTS, client
from tests.pipelines.tiny_models import tone_wav

TEXT = "Paris is the capital of France, and Marie lives there."


@pytest.fixture(scope="module")
def relayed(served: str) -> str:
    """``remote-{id}``: a hugging_face endpoint by url on each local endpoint's ``/hf/{id}``."""
    for inference_id, (task, _) in ENDPOINTS.items():
        body = {
            "service": "hugging_face",
            "service_settings": {"url": f"{served}/hf/{inference_id}", "engine": "pipeline", "api_key": "hf_none"},
        }
        created = httpx.put(f"{served}/_inference/{task}/remote-{inference_id}", json=body, timeout=120)
        assert created.status_code == 200, created.text
    return served


def test_text_tasks_relayed_answer_as_the_local_endpoint(relayed: str) -> None:
    for inference_id, call in (
        ("clf", lambda c: c.text_classification(TEXT, top_k=2)),
        ("ner", lambda c: c.token_classification(TEXT, aggregation_strategy="first")),
        ("nli", lambda c: c.zero_shot_classification(TEXT, ["travel", "cooking"])),
        ("mlm", lambda c: c.fill_mask("Paris is the [MASK] of France.")),
        ("qa", lambda c: c.question_answering(question="Where does Marie live?", context=TEXT)),
        ("tqa", lambda c: c.table_question_answering({"City": ["Paris", "Lyon"], "People": ["2", "1"]}, "Largest?")),
        ("sum", lambda c: c.summarization(TEXT)),
        ("mt", lambda c: c.translation(TEXT)),
        ("sim", lambda c: c.sentence_similarity("a cat sits", ["a cat is sitting", "markets fell"])),
    ):
        local, remote = call(client(relayed, inference_id)), call(client(relayed, f"remote-{inference_id}"))
        assert remote == local, inference_id


def test_audio_tasks_relayed_answer_as_the_local_endpoint(relayed: str) -> None:
    wav = tone_wav(1.0)
    for inference_id in ("asr", "kws"):
        local = httpx.post(
            f"{relayed}/hf/{inference_id}", content=wav, headers={"content-type": "audio/wav"}, timeout=60
        )
        remote = httpx.post(f"{relayed}/hf/remote-{inference_id}", content=wav, headers={"content-type": "audio/wav"},
                            timeout=60)  # fmt: skip
        assert remote.status_code == 200, remote.text
        assert remote.json() == local.json()
    timed = client(relayed, "remote-asr").automatic_speech_recognition(wav, extra_body={"return_timestamps": "word"})
    assert timed.chunks is not None

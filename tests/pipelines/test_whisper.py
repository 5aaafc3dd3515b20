"""Speech recognition on the tiny Whisper (``whisper``): the Inference API and the OpenAI audio routes give what
transformers' own pipeline gives under greedy decoding, with Whisper's language and translate task."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from huggingface_hub.errors import HfHubHTTPError
from transformers import pipeline

from hfgate.pipelines.audio import AudioFile, decode
from tests.pipelines.conftest import client
from tests.pipelines.tiny_models import TinyModels, tone_wav

WAV = tone_wav(1.0)


def _theirs(tiny: TinyModels, **generate: Any) -> str:
    samples = decode(AudioFile(data=WAV), rate=16000).array
    heard = pipeline("automatic-speech-recognition", model=str(tiny.whisper))
    answer: dict[str, Any] = heard({"raw": samples, "sampling_rate": 16000}, generate_kwargs=generate)  # type: ignore[assignment]
    return str(answer["text"]).strip()


def test_the_inference_api_hears_what_the_transformers_pipeline_hears(served: str, tiny: TinyModels) -> None:
    theirs = _theirs(tiny)
    assert theirs  # the tiny model writes text (its projection favours words), so the comparison says something
    assert client(served, "whisper").automatic_speech_recognition(WAV).text == theirs


@pytest.mark.parametrize("asked", [{"language": "fr"}, {"task": "translate"}, {"language": "de", "task": "translate"}])
def test_language_and_translate_reach_whisper(served: str, tiny: TinyModels, asked: dict[str, str]) -> None:
    heard = client(served, "whisper").automatic_speech_recognition(WAV, extra_body=asked)
    assert heard.text == _theirs(tiny, **asked)


def test_a_language_the_model_does_not_know_is_refused_naming_it(served: str) -> None:
    """A 422 on the Hugging Face face (its status for a request that does not validate, TEI's), a 400 on OpenAI's."""
    with pytest.raises(HfHubHTTPError) as refused:
        client(served, "whisper").automatic_speech_recognition(WAV, extra_body={"language": "xx"})
    assert refused.value.response is not None
    assert refused.value.response.status_code == 422
    assert "[xx]" in refused.value.response.text
    form = {"model": "whisper", "language": "xx"}
    answer = httpx.post(f"{served}/v1/audio/transcriptions", data=form, files={"file": ("a.wav", WAV)}, timeout=120)
    assert answer.status_code == 400
    assert answer.json()["error"]["param"] == "language"
    assert "[xx]" in answer.json()["error"]["message"]


def test_openai_transcriptions_and_translations_on_whisper(served: str, tiny: TinyModels) -> None:
    for path, form, asked in [
        ("transcriptions", {"language": "fr"}, {"language": "fr"}),
        ("translations", {}, {"task": "translate"}),
    ]:
        answer = httpx.post(
            f"{served}/v1/audio/{path}", data={"model": "whisper", **form}, files={"file": ("a.wav", WAV)}, timeout=120
        )
        assert answer.status_code == 200, answer.text
        assert answer.json()["text"] == _theirs(tiny, **asked)
    verbose = httpx.post(
        f"{served}/v1/audio/transcriptions",
        data={"model": "whisper", "response_format": "verbose_json"},
        files={"file": ("a.wav", WAV)},
        timeout=120,
    ).json()
    assert verbose["segments"]
    assert verbose["text"]

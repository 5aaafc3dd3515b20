"""``/v1/audio/transcriptions`` and ``/translations`` with the openai SDK against a live hfgate, on the tiny
wav2vec2 (``asr``): every ``response_format``, the same text as ``POST /hf/asr``, and the form's errors."""

from __future__ import annotations

import re

import httpx
import openai
import pytest

from tests.pipelines.tiny_models import tone_wav

WAV = tone_wav(1.5)


def _sdk(url: str) -> openai.OpenAI:
    return openai.OpenAI(base_url=f"{url}/v1", api_key="unused", max_retries=0, timeout=120)


def _hf_text(url: str, wav: bytes) -> str:
    answer = httpx.post(f"{url}/hf/asr", content=wav, headers={"content-type": "audio/wav"}, timeout=120)
    assert answer.status_code == 200, answer.text
    text: str = answer.json()["text"]
    return text


def test_json_gives_the_text_of_the_inference_api_and_the_audio_seconds(served: str) -> None:
    heard = _sdk(served).audio.transcriptions.create(model="asr", file=("a.wav", WAV))
    assert heard.text == _hf_text(served, WAV)
    assert heard.usage is not None
    assert heard.usage.type == "duration"
    assert heard.usage.seconds == pytest.approx(1.5, abs=0.01)


def test_text_answers_the_plain_text(served: str) -> None:
    heard = _sdk(served).audio.transcriptions.create(model="asr", file=("a.wav", WAV), response_format="text")
    assert isinstance(heard, str)
    assert heard.strip() == _hf_text(served, WAV)


def test_verbose_json_gives_segments_and_asked_words_within_the_audio(served: str) -> None:
    sdk = _sdk(served)
    verbose = sdk.audio.transcriptions.create(model="asr", file=("a.wav", WAV), response_format="verbose_json")
    assert verbose.text == _hf_text(served, WAV)
    assert verbose.duration == pytest.approx(1.5, abs=0.01)
    assert verbose.segments
    assert verbose.words is None
    assert all(0 <= s.start <= s.end <= 1.51 for s in verbose.segments)
    assert " ".join(s.text for s in verbose.segments).split() == verbose.text.split()
    both = sdk.audio.transcriptions.create(
        model="asr", file=("a.wav", WAV), response_format="verbose_json", timestamp_granularities=["word", "segment"]
    )
    assert both.segments
    assert both.words
    assert [w.word for w in both.words] == verbose.text.split()


def test_srt_and_vtt_are_well_formed_subtitles_of_the_same_text(served: str) -> None:
    sdk = _sdk(served)
    text = _hf_text(served, WAV)
    srt = sdk.audio.transcriptions.create(model="asr", file=("a.wav", WAV), response_format="srt")
    vtt = sdk.audio.transcriptions.create(model="asr", file=("a.wav", WAV), response_format="vtt")
    srt_cues = re.findall(r"(\d+)\n(\d\d:\d\d:\d\d,\d{3}) --> (\d\d:\d\d:\d\d,\d{3})\n(.*)\n", srt)
    assert [int(c[0]) for c in srt_cues] == list(range(1, len(srt_cues) + 1))
    assert srt_cues
    assert " ".join(c[3] for c in srt_cues).split() == text.split()
    assert vtt.startswith("WEBVTT\n\n")
    vtt_cues = re.findall(r"(\d\d:\d\d:\d\d\.\d{3}) --> (\d\d:\d\d:\d\d\.\d{3})\n(.*)\n", vtt)
    assert [(a.replace(",", "."), b.replace(",", "."), t) for _, a, b, t in srt_cues] == vtt_cues


def test_translations_take_the_form_and_a_ctc_model_refuses_to_translate(served: str) -> None:
    # the SDK's audio.translations.create is deprecated (a warning, an error here): the form as it sends it
    form = {"model": "asr", "response_format": "json"}
    answer = httpx.post(f"{served}/v1/audio/translations", data=form, files={"file": ("a.wav", WAV)}, timeout=120)
    assert answer.status_code == 400, answer.text
    assert "Whisper" in answer.json()["error"]["message"]
    assert answer.json()["error"]["param"] == "language"


def test_missing_file_is_a_400_naming_file(served: str) -> None:
    answer = httpx.post(f"{served}/v1/audio/transcriptions", data={"model": "asr"}, files={"x": ("x", b"")})
    assert answer.status_code == 400, answer.text
    assert answer.json()["error"]["param"] == "file"


def test_a_file_that_is_not_audio_is_a_400_naming_file(served: str) -> None:
    with pytest.raises(openai.BadRequestError) as refused:
        _sdk(served).audio.transcriptions.create(model="asr", file=("a.wav", b"not audio at all"))
    assert refused.value.param == "file"


def test_a_streamed_transcription_is_openais_delta_then_done_events_of_the_same_text(served: str) -> None:
    events = list(_sdk(served).audio.transcriptions.create(model="asr", file=("a.wav", WAV), stream=True))
    assert [event.type for event in events] == ["transcript.text.delta", "transcript.text.done"]
    delta, done = events
    assert delta.delta == done.text == _hf_text(served, WAV)  # type: ignore[union-attr]
    form = {"model": "asr", "stream": "true", "response_format": "srt"}
    refused = httpx.post(f"{served}/v1/audio/transcriptions", data=form, files={"file": ("a.wav", WAV)})
    assert refused.status_code == 400, refused.text
    assert refused.json()["error"]["param"] == "response_format"


@pytest.mark.parametrize(("field", "value"), [("response_format", "xml"), ("stream", "maybe"), ("temperature", "2")])
def test_a_bad_field_is_a_400_naming_it(served: str, field: str, value: str) -> None:
    form = {"model": "asr", field: value}
    answer = httpx.post(f"{served}/v1/audio/transcriptions", data=form, files={"file": ("a.wav", WAV)})
    assert answer.status_code == 400, answer.text
    assert answer.json()["error"]["param"] == field


def test_an_endpoint_of_another_task_or_none_is_refused(served: str) -> None:
    with pytest.raises(openai.NotFoundError):
        _sdk(served).audio.transcriptions.create(model="nope", file=("a.wav", WAV))
    with pytest.raises(openai.BadRequestError):
        _sdk(served).audio.transcriptions.create(model="clf", file=("a.wav", WAV))

"""Whisper on CTranslate2: the runner converts the tiny Whisper once, checks it decodes as transformers does,
and moves its greedy text there; every answer still equals transformers' own pipeline on the same weights
(short and long audio, a language, the translate task), and what CTranslate2 does not decode as transformers
does (timestamps, a language left to detect on a model whose vocabulary CTranslate2 cannot detect from, a
prompt) stays on transformers."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from hfgate.local.batching import BatchLimits
from hfgate.local.cache import Compute
from hfgate.local.pipelines.speech import SpeechRecognizer
from hfgate.local.pipelines.whisper_ct2 import converted_path
from hfgate.pipelines.audio import AudioFile, decode
from hfgate.pipelines.automatic_speech_recognition import Transcription
from tests.pipelines.tiny_models import TinyModels, multilingual_whisper, tone_wav

SHORT = tone_wav(1.0)
LONG = tone_wav(65.0, hz=300.0)  # past one window: three windows of 30 s, joined over their overlaps


@pytest.fixture(scope="module")
def switched(tiny: TinyModels, tmp_path_factory: pytest.TempPathFactory) -> Any:
    cache = tmp_path_factory.mktemp("models")
    runner = SpeechRecognizer(tiny.whisper, compute=Compute(), limits=BatchLimits(), name="whisper", cache_dir=cache)
    assert runner.switched.wait(300)
    yield runner, cache
    runner.close()


def _theirs(tiny: TinyModels, wav: bytes, **parameters: Any) -> dict[str, Any]:
    from transformers import pipeline

    samples = decode(AudioFile(data=wav), rate=16000)
    if samples.seconds > 30:
        parameters["chunk_length_s"] = 30.0
    heard = pipeline("automatic-speech-recognition", model=str(tiny.whisper))
    return dict(heard({"raw": samples.array, "sampling_rate": 16000}, **parameters))  # type: ignore[call-overload]


async def _ours(runner: SpeechRecognizer, wav: bytes, **asked: Any) -> Any:
    return (await runner.run(Transcription(audio=AudioFile(data=wav), **asked))).body


def test_the_conversion_is_checked_and_timed_and_the_runner_moves(switched: Any, tiny: TinyModels) -> None:
    runner, cache = switched
    choice = json.loads((converted_path(tiny.whisper, cache) / "choice.json").read_text())
    assert choice["same"] is True
    assert choice["ctranslate2_s"] > 0
    assert choice["transformers_s"] > 0
    # the tiny model is 60× faster on CTranslate2 here (its Python per token is transformers' whole cost)
    assert runner.engine == "ctranslate2"


@pytest.mark.parametrize("wav", [SHORT, LONG], ids=["one window", "three windows"])
@pytest.mark.parametrize(
    ("asked", "generate"),
    [
        ({"language": "fr"}, {"language": "fr"}),
        ({"language": "de", "translate": True}, {"language": "de", "task": "translate"}),
    ],
    ids=["language", "translate"],
)
async def test_ctranslate2_writes_what_the_pipeline_writes(
    switched: Any, tiny: TinyModels, wav: bytes, asked: dict[str, Any], generate: dict[str, Any]
) -> None:
    runner, _ = switched
    theirs = _theirs(tiny, wav, generate_kwargs=generate)
    assert theirs["text"].strip()
    assert await _ours(runner, wav, **asked) == {"text": theirs["text"].strip()}
    # and it was CTranslate2 that wrote it: the converted model alone gives the same
    parameters = runner._parameters(Transcription(audio=AudioFile(data=wav), **asked), seconds=len(wav) / 32000)
    assert runner._converted_decodes(runner.ctranslate2, parameters)
    samples = decode(AudioFile(data=wav), rate=16000)
    alone = runner.ctranslate2.transcribe(runner.pipe, runner.heard(samples), parameters)
    assert alone["text"] == theirs["text"]


async def test_what_ctranslate2_does_not_decode_alike_stays_on_transformers(switched: Any, tiny: TinyModels) -> None:
    runner, _ = switched
    stamped = _theirs(tiny, SHORT, return_timestamps=True, generate_kwargs={"language": "fr"})
    ours = await _ours(runner, SHORT, language="fr", timestamps="segment")
    assert ours["text"] == stamped["text"]
    assert [c["timestamp"] for c in ours["chunks"]] == [list(c["timestamp"]) for c in stamped["chunks"]]
    # the tiny vocabulary is not Whisper's multilingual one: CTranslate2 cannot detect its language
    assert not runner.ctranslate2.detects()
    assert await _ours(runner, SHORT) == {"text": _theirs(tiny, SHORT)["text"].strip()}


def test_a_cpu_without_a_cache_directory_stays_on_transformers(tiny: TinyModels, tmp_path: Path) -> None:
    runner = SpeechRecognizer(tiny.whisper, compute=Compute(), limits=BatchLimits(), name="whisper")
    try:
        assert runner.switched.is_set()
        assert runner.engine == "transformers"
    finally:
        runner.close()


async def test_a_language_left_to_detect_is_detected_as_transformers_detects_it(tmp_path: Path) -> None:
    """Whisper's multilingual vocabulary: CTranslate2 detects each window's language; the text is the
    pipeline's, which detects it in transformers."""
    from transformers import pipeline

    model = multilingual_whisper(tmp_path / "whisper")
    runner = SpeechRecognizer(model, compute=Compute(), limits=BatchLimits(), name="w", cache_dir=tmp_path / "models")
    try:
        assert runner.switched.wait(300)
        assert runner.engine == "ctranslate2"
        assert runner.ctranslate2 is not None
        assert runner.ctranslate2.detects()
        for wav in (SHORT, LONG):
            samples = decode(AudioFile(data=wav), rate=16000)
            chunked = {"chunk_length_s": 30.0} if samples.seconds > 30 else {}
            heard = pipeline("automatic-speech-recognition", model=str(model))
            theirs = heard({"raw": samples.array, "sampling_rate": 16000}, **chunked)  # type: ignore[call-overload]
            assert await _ours(runner, wav) == {"text": theirs["text"].strip()}
    finally:
        runner.close()

"""Dify's speech-to-text through its OpenAI-compatible provider, as Dify sends it (``dify_plugin`` 0.7.4,
installed apart: ``tests/support/apart.py``): the credentials check on Dify's own demo mp3, then files with
and without a name. The text equals what ``POST /hf/{id}`` answers for the same audio."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from tests.pipelines.tiny_models import tone_wav
from tests.support.apart import run_client


@pytest.mark.parametrize("inference_id", ["asr", "whisper"])
def test_dify_checks_and_transcribes_as_the_inference_api(served: str, tmp_path: Path, inference_id: str) -> None:
    wav = tmp_path / "recording.wav"
    wav.write_bytes(tone_wav(1.5))
    answered = run_client("dify", "dify_calls.py", served, inference_id, str(wav))
    heard = httpx.post(
        f"{served}/hf/{inference_id}", content=wav.read_bytes(), headers={"content-type": "audio/wav"}, timeout=120
    )
    assert heard.status_code == 200, heard.text
    assert answered["from_disk"] == answered["in_memory"] == heard.json()["text"]
    assert "no-such-endpoint" in answered["refused"]

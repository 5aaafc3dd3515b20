"""Drives Dify's OpenAI-compatible speech-to-text model (``dify_plugin``'s ``OAICompatSpeech2TextModel``,
which dify-official-plugins' ``openai_api_compatible`` plugin subclasses unchanged) against a live hfgate's
``/v1``: the credentials check as Dify runs it on saving the model (its own demo mp3), then a transcription
of a WAV file opened from disk and of the same bytes in memory (a form part with no file name or type).
Prints what each call answered, as JSON, for tests/pipelines/test_dify_speech.py.

Usage: python dify_calls.py HFGATE_URL ENDPOINT_ID WAV_PATH
"""

from __future__ import annotations

import io
import json
import sys
from importlib.metadata import version
from pathlib import Path

from dify_plugin.interfaces.model.openai_compatible.speech2text import OAICompatSpeech2TextModel


def main(base: str, model: str, wav: Path) -> None:
    stt = OAICompatSpeech2TextModel(model_schemas=[])
    credentials = {"endpoint_url": f"{base}/v1", "api_key": "unused-by-a-keyless-gate"}
    stt.validate_credentials(model, credentials)  # raises CredentialsValidateFailedError when refused
    with wav.open("rb") as file:
        from_disk = stt._invoke(model, credentials, file)
    in_memory = stt._invoke(model, credentials, io.BytesIO(wav.read_bytes()))
    refused = ""
    try:
        stt._invoke("no-such-endpoint", credentials, io.BytesIO(wav.read_bytes()))
    except Exception as exc:  # InvokeBadRequestError: Dify shows its text to the user
        refused = str(exc)
    answer = {"version": version("dify_plugin"), "from_disk": from_disk, "in_memory": in_memory, "refused": refused}
    print(json.dumps(answer))


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], Path(sys.argv[3]))

"""Speech recognition through the Inference Providers that serve it (fal-ai, replicate, deepinfra), each chosen
from the Hub's mapping at create: ``InferenceClient`` against hfgate's ``/hf/{id}``, the real ``hugging_face``
service calling the fake router's provider routes (``tests/fakes/speech_providers.py``, each shape with its
source), which transcribe the exact bytes they are sent."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from tests.fakes.hf_fixtures import fake_hf_server, hf_settings
from tests.fakes.hf_server import TOKEN, FakeHF
from tests.fakes.speech_providers import heard
from tests.pipelines.conftest import client
from tests.pipelines.tiny_models import tone_wav

__all__ = ["fake_hf_server"]

WHISPER = "openai/whisper-large-v3"
ENDPOINTS = {
    "fal": (WHISPER, "fal-ai"),
    "replicate": (WHISPER, "replicate"),  # an id with a version: /v1/predictions
    "replicate-small": ("openai/whisper-small", "replicate"),  # without: /v1/models/{id}/predictions
    "deepinfra": (WHISPER, "deepinfra"),
    "auto": (WHISPER, "auto"),
}


@pytest.fixture(scope="module")
def gateway(fake_hf_server: FakeHF, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """hfgate on the fake Hub and router, an endpoint per provider of :data:`ENDPOINTS`."""
    from tests.support.live_server import live_server

    settings = hf_settings(fake_hf_server.base, tmp_path_factory.mktemp("speech-providers")).model_copy(
        update={"provision_defaults": False, "registry_cache_seconds": 0, "log_format": "text"}
    )
    with live_server(settings) as url:
        for name, (model, provider) in ENDPOINTS.items():
            body = {"service": "hugging_face", "service_settings": {"model_id": model, "provider": provider,
                                                                     "api_key": TOKEN}}  # fmt: skip
            created = httpx.put(f"{url}/_inference/automatic-speech-recognition/{name}", json=body, timeout=60)
            assert created.status_code == 200, created.text
        yield url


def test_each_provider_is_chosen_from_the_hubs_mapping(gateway: str) -> None:
    for name, (_, provider) in ENDPOINTS.items():
        settings = httpx.get(f"{gateway}/_inference/automatic-speech-recognition/{name}").json()["endpoints"][0]
        assert settings["service_settings"]["served_by"] == (provider if provider != "auto" else "fal-ai"), name


@pytest.mark.parametrize("name", list(ENDPOINTS))
def test_the_providers_transcribe_the_bytes_inference_client_sends(gateway: str, name: str) -> None:
    wav = tone_wav(0.5)
    assert client(gateway, name).automatic_speech_recognition(wav).text == heard(wav)


@pytest.mark.parametrize("name", ["fal", "deepinfra"])
def test_segment_timestamps_come_back_as_chunks(gateway: str, name: str) -> None:
    wav = tone_wav(0.5)
    answer = client(gateway, name).automatic_speech_recognition(wav, extra_body={"return_timestamps": True})
    assert answer.chunks is not None
    assert [(c.text, c.timestamp) for c in answer.chunks] == [(heard(wav), [0.0, 1.0])]


def test_the_answering_provider_is_named_in_the_response(gateway: str) -> None:
    answer = httpx.post(f"{gateway}/hf/deepinfra", content=tone_wav(0.5), headers={"content-type": "audio/wav"})
    assert answer.status_code == 200, answer.text
    assert answer.headers["x-hfgate-served-by"] == "deepinfra"


@pytest.mark.parametrize(
    ("name", "parameters", "field"),
    [
        ("replicate", {"language": "en"}, "parameters.language"),
        ("deepinfra", {"return_timestamps": "word"}, "parameters.return_timestamps"),
        ("fal", {"prompt": "a talk"}, "parameters.prompt"),
        ("deepinfra", {"task": "translate"}, "parameters.task"),
    ],
)
def test_a_parameter_the_providers_route_has_no_field_for_is_a_422_naming_it(
    gateway: str, name: str, parameters: dict[str, object], field: str
) -> None:
    import base64

    inputs = base64.b64encode(tone_wav(0.5)).decode()
    answer = httpx.post(f"{gateway}/hf/{name}", json={"inputs": inputs, "parameters": parameters})
    assert answer.status_code == 422, answer.text  # the face's status for a field's value, as TEI's
    assert f"[{field}]" in answer.json()["error"], answer.text

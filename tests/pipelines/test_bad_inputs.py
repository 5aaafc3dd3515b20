"""What a user can get wrong on the Hub tasks: each is a 4xx naming the field and the fix, never a 5xx or a hang;
and every audio format a browser or a phone records is heard."""

from __future__ import annotations

import base64
import socket
from urllib.parse import urlparse

import httpx
import pytest

from tests.pipelines.tiny_models import encoded, tone_wav

FORMATS = [
    ("flac", "flac", "audio/flac"),
    ("mp3", "libmp3lame", "audio/mpeg"),
    ("ogg", "libopus", "audio/ogg"),
    ("webm", "libopus", "audio/webm"),
    ("ipod", "aac", "audio/mp4"),
]


def _post(url: str, inference_id: str, **kwargs: object) -> httpx.Response:
    return httpx.post(f"{url}/hf/{inference_id}", timeout=60, **kwargs)  # type: ignore[arg-type]


def _refused(response: httpx.Response, status: int, *words: str) -> None:
    """Refused with ``status``; 400 stands for the face's client error: TEI's 422 for a field's value."""
    assert response.status_code in ((400, 422) if status == 400 else (status,)), response.text
    for word in words:
        assert word in response.text, response.text


@pytest.mark.parametrize(("container", "codec", "content_type"), FORMATS)
def test_every_recorded_format_is_heard(served: str, container: str, codec: str, content_type: str) -> None:
    wav = tone_wav(1.0)
    expected = _post(served, "asr", content=wav, headers={"content-type": "audio/wav"}).json()
    heard = _post(
        served, "asr", content=encoded(wav, container=container, codec=codec), headers={"content-type": content_type}
    )
    assert heard.status_code == 200, heard.text
    assert set(heard.json()) == set(expected)


def test_audio_that_is_not_audio_is_refused_naming_the_field(served: str) -> None:
    for body in (b"this is plain text, not a recording", tone_wav(1.0)[:30], b""):
        _refused(_post(served, "asr", content=body, headers={"content-type": "audio/wav"}), 400, "inputs", "audio file")
    _refused(_post(served, "kws", json={"inputs": "not base64!", "parameters": {"top_k": 2}}), 400, "base64")
    _refused(_post(served, "asr", json={"inputs": 5}), 400, "inputs")


def test_a_file_over_the_upload_limit_is_a_413_naming_the_setting(served: str) -> None:
    big = b"\0" * (25 * 1024 * 1024 + 1)
    _refused(_post(served, "asr", content=big, headers={"content-type": "audio/wav"}), 413, "HFGATE_MAX_UPLOAD_BYTES")
    address = urlparse(served)
    with socket.create_connection((address.hostname, address.port), timeout=10) as raw:  # 2 GB announced
        raw.sendall(
            b"POST /hf/asr HTTP/1.1\r\nHost: x\r\nContent-Type: audio/wav\r\nContent-Length: 2147483648\r\n\r\n"
        )
        answer = raw.recv(65536).decode("latin-1")
    assert answer.startswith("HTTP/1.1 413"), answer
    assert "HFGATE_MAX_UPLOAD_BYTES" in answer


def test_wrong_fields_of_the_text_tasks_are_named(served: str) -> None:
    text = "Paris is the capital of France."
    _refused(
        _post(served, "nli", json={"inputs": text, "parameters": {"candidate_labels": []}}),
        400,
        "parameters.candidate_labels",
    )
    _refused(_post(served, "nli", json={"inputs": text}), 400, "candidate_labels", "required")
    _refused(_post(served, "qa", json={"inputs": {"question": "Where?"}}), 400, "inputs.context")
    _refused(_post(served, "qa", json={"inputs": {"question": "Where?", "context": ""}}), 400, "inputs.context")
    _refused(
        _post(served, "mt", json={"inputs": text, "parameters": {"src_lang": "en", "tgt_lang": "xx"}}),
        400,
        "parameters.src_lang",
    )
    _refused(_post(served, "mt", json={"inputs": text, "parameters": {"src_lang": "en"}}), 400, "tgt_lang")
    _refused(_post(served, "mlm", json={"inputs": text}), 400, "mask token [MASK]")
    _refused(_post(served, "clf", json={"inputs": text, "parameters": {"top_k": 0}}), 400, "parameters.top_k")
    _refused(
        _post(served, "clf", json={"inputs": text, "parameters": {"temperature": 1}}),
        400,
        "parameters.temperature",
        "top_k",
    )
    _refused(_post(served, "clf", json={"inputs": []}), 400, "inputs")
    _refused(_post(served, "clf", content=b"{not json", headers={"content-type": "application/json"}), 400, "JSON")
    _refused(
        _post(served, "sum", json={"inputs": text, "parameters": {"generate_parameters": {"beams": 2}}}),
        400,
        "generate_parameters.beams",
    )


def test_tables_that_cannot_be_read_are_named(served: str) -> None:
    def ask(table: object, **parameters: object) -> httpx.Response:
        return _post(served, "tqa", json={"inputs": {"query": "Which?", "table": table}, "parameters": parameters})

    _refused(_post(served, "tqa", json={"inputs": {"table": {"A": ["x"]}}}), 400, "inputs.query")
    _refused(ask([["x"]]), 400, "inputs.table", "object of columns")
    _refused(ask({}), 400, "inputs.table", "at least one column")
    _refused(ask({"A": []}), 400, "inputs.table", "at least one row")
    _refused(ask({"A": ["x", "y"], "B": ["z"]}), 400, "inputs.table.B", "one per row")
    _refused(ask({"A": ["x", None]}), 400, "inputs.table.A[1]", "string or a number")
    _refused(ask({"A": ["x"]}, padding="sideways"), 400, "parameters.padding", "do_not_pad")
    many = {"A": [f"cell {i}" for i in range(200)]}
    _refused(ask(many, truncation=False), 400, "inputs.table", "200 row(s)")
    ranked = {"A": [f"cell {i}" for i in range(300)], "B": [str(i) for i in range(300)]}
    _refused(ask(ranked), 400, "inputs.table", "fewer rows")
    assert ask(many).status_code == 200  # the rows past the window dropped, as the pipeline does by default


def test_what_the_task_fuzzer_found_is_answered_below_500(served: str) -> None:
    """Each was a 424 or a 500 (an IndexError or ValueError inside transformers) before its fix."""
    long = "word " * 300  # past the tiny models' 128 positions
    _refused(_post(served, "sum", json={"inputs": ["hi", long]}), 400, "inputs[1]", "longest_first")
    cut = _post(served, "sum", json={"inputs": long, "parameters": {"truncation": "longest_first"}})
    assert cut.status_code == 200, cut.text
    for inference_id in ("sum", "mt"):
        endless = {"inputs": "Paris is nice.", "parameters": {"generate_parameters": {"max_new_tokens": 10**6}}}
        assert _post(served, inference_id, json=endless).status_code == 200
    for controls, field in (
        ({"num_beams": 10**6}, "num_beams"),
        ({"do_sample": True, "temperature": 0.0}, "temperature"),
        ({"top_p": 5.0}, "top_p"),
        ({"repetition_penalty": 0.0}, "repetition_penalty"),
    ):
        body = {"inputs": "Paris is nice.", "parameters": {"generate_parameters": controls}}
        _refused(_post(served, "mt", json=body), 400, f"generate_parameters.{field}")
    masks = _post(served, "mlm", json={"inputs": "[MASK] is the [MASK] of France."})
    assert masks.status_code == 200, masks.text
    assert [len(candidates) for candidates in masks.json()] == [5, 5]  # one list per mask
    wav = tone_wav(0.5)
    audio = {"inputs": base64.b64encode(wav).decode(), "parameters": {"generate_parameters": {"max_new_tokens": 10**6}}}
    assert _post(served, "whisper", json=audio).status_code == 200
    prompted = httpx.post(
        f"{served}/v1/audio/transcriptions",
        data={"model": "whisper", "prompt": "word " * 500},  # its last tokens kept, as OpenAI's Whisper does
        files={"file": ("a.wav", wav)},
        timeout=60,
    )
    assert prompted.status_code == 200, prompted.text


def test_elasticsearch_inference_names_the_route_that_serves_a_hub_task(served: str) -> None:
    answer = httpx.post(f"{served}/_inference/clf", json={"input": "hello"}, timeout=30)
    _refused(answer, 400, "/hf/clf")


def test_the_seconds_heard_are_counted_in_the_metrics(served: str) -> None:
    def heard() -> float:
        lines = httpx.get(f"{served}/metrics", timeout=30).text.splitlines()
        found = [line for line in lines if line.startswith('hfgate_audio_seconds_total{endpoint="asr"}')]
        return float(found[0].split()[-1]) if found else 0.0

    before = heard()
    assert _post(served, "asr", content=tone_wav(1.5), headers={"content-type": "audio/wav"}).status_code == 200
    assert heard() - before == pytest.approx(1.5, abs=0.01)

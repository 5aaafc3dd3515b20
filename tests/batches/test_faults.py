"""A batch against an upstream that fails a third of its requests: each line's answer is its result, exactly.

The endpoint is a ``hugging_face`` endpoint by url, on a TEI server played here (``GET /info``, ``POST /embed``,
as TEI's router answers them: ``router/src/http/server.rs``) that fails every text whose number is divisible
by 3 with TEI's backend error (500, ``{"error": …, "error_type": "backend"}``). hfgate's upstream client does
not retry a 500 (it retries 429, 502 and 503: ``hfgate.upstream.http.retry``) and answers it 502 with the
upstream's message; the batch runner sends a line again only on a 429 or 503 (``hfgate.batches.runner``), so
each such line is sent once and its 502 is its result.
"""

from __future__ import annotations

import re
import threading
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import orjson
import pytest
from aiohttp import web

from hfgate.services import SERVICES
from tests.batches.gateway import (
    BOOT,
    URL,
    CountingService,
    embedding_lines,
    finished,
    gateway,
    keyed_settings,
    lines_of,
    upload,
)
from tests.fakes.threaded_server import ThreadedServer

_INFO = {
    "model_id": "hfgate-tests/third-fails",  # no tokenizer of it here: usage counts 0 tokens
    "model_sha": None,
    "model_dtype": "float32",
    "model_type": {"embedding": {"pooling": "cls"}},
    "max_concurrent_requests": 512,
    "max_input_length": 512,
    "max_batch_tokens": 16384,
    "max_batch_requests": None,
    "max_client_batch_size": 32,
    "auto_truncate": False,
    "tokenization_workers": 2,
    "version": "1.9.0",
}
_NUMBERED = re.compile(r"^line (\d+)$")


def vector(number: int) -> list[float]:
    """The vector the server gives text number ``number`` (exact in float32, so equal however it travels)."""
    return [float(number), 0.5, -1.0, number / 4]


def message(number: int) -> str:
    return f"backend failed on text {number}"


class ThirdFails(ThreadedServer):
    """TEI's ``/info`` and ``/embed``; ``/embed`` fails when one of its texts is ``line <n>`` with ``n % 3 == 0``."""

    thread_name = "tei-third-fails"

    def __init__(self) -> None:
        super().__init__()
        self.embedded: Counter[str] = Counter()
        self._lock = threading.Lock()

    async def _dispatch(self, request: web.Request) -> web.StreamResponse:
        if request.method == "GET" and request.path == "/info":
            return web.json_response(_INFO)
        if request.method != "POST" or request.path != "/embed":
            return web.json_response({"error": "Not Found", "error_type": "not_found"}, status=404)
        inputs = (await request.json())["inputs"]
        texts = [inputs] if isinstance(inputs, str) else list(inputs)
        with self._lock:
            self.embedded.update(texts)
        numbers = [int(found.group(1)) if (found := _NUMBERED.match(text)) else -1 for text in texts]
        failing = next((n for n in numbers if n >= 0 and n % 3 == 0), None)
        if failing is not None:
            return web.json_response({"error": message(failing), "error_type": "backend"}, status=500)
        return web.json_response([vector(n) for n in numbers])


@pytest.fixture
def third_fails() -> Iterator[ThirdFails]:
    server = ThirdFails()
    server.start()
    try:
        yield server
    finally:
        server.stop()


async def test_an_upstream_failing_a_third_of_its_requests_fails_exactly_those_lines(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, third_fails: ThirdFails
) -> None:
    monkeypatch.setitem(SERVICES, CountingService.name, CountingService)  # the gateway's own ``words`` endpoint
    texts = [f"line {n}" for n in range(30)]
    failing = {n for n in range(30) if n % 3 == 0}
    settings = keyed_settings(tmp_path / "data", batch_claim_lines=8)
    async with gateway(settings) as gate:
        made = await gate.http.put("/_inference/text_embedding/tei", headers=BOOT,
                                   json={"service": "hugging_face",
                                         "service_settings": {"url": third_fails.base, "api_key": "x"}})  # fmt: skip
        assert made.status_code == 200, made.text
        assert made.json()["service_settings"]["engine"] == "tei"
        third_fails.embedded.clear()  # the create's test call
        batch = await gate.sdk.batches.create(input_file_id=await upload(gate.sdk, embedding_lines(texts, model="tei")),
                                              endpoint=URL, completion_window="24h")  # fmt: skip
        done = await finished(gate.sdk, batch.id)
        output = await lines_of(gate.sdk, done.output_file_id)
        errors = await lines_of(gate.sdk, done.error_file_id)
    assert done.status == "completed"
    assert done.request_counts is not None
    assert done.request_counts.model_dump() == {"total": 30, "completed": 20, "failed": 10}
    assert third_fails.embedded == dict.fromkeys(texts, 1), "a line was sent again, or not at all"

    assert [line["custom_id"] for line in output] == [f"c{n}" for n in range(30) if n not in failing]
    for line in output:
        number = int(line["custom_id"][1:])
        assert line["error"] is None
        assert line["response"]["status_code"] == 200
        assert [item["embedding"] for item in line["response"]["body"]["data"]] == [vector(number)]

    assert [line["custom_id"] for line in errors] == [f"c{n}" for n in sorted(failing)]
    for line in errors:
        number = int(line["custom_id"][1:])
        response: dict[str, Any] = line["response"]
        assert response["status_code"] == 502, orjson.dumps(line)
        reason = response["body"]["error"]["message"]
        assert reason == (
            "Received a server error status code for request from inference entity id [tei] status [500]. "
            f"Error message: [{message(number)}]"
        )

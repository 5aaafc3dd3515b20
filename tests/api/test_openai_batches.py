"""OpenAI's Files and Batches through the official ``openai`` SDK against a live hfgate (real HTTP on
127.0.0.1) on the packaged local models: a batch's output lines equal the same requests sent one by one.

The server is this module's own, keyed, with its endpoints on fixed engines (``torch`` for MiniLM,
``transformers`` in float32 for SmolLM2), so no engine is measured; the mechanics (restart, cancel, limits)
are tested in the fast tier (tests/batches/)."""

from __future__ import annotations

import io
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import numpy as np
import openai
import orjson
import pytest
from openai.types import Batch

from hfgate.config import Settings
from tests.support.live_server import live_server

pytestmark = pytest.mark.slow  # loads real models: not in `make check`

BOOT = {"Authorization": "Bearer boot"}
EMBEDDER = "mini"
CHATTER = "smol"
ENDPOINTS = {
    f"text_embedding/{EMBEDDER}": {"model": "all-MiniLM-L6-v2", "engine": "torch"},
    f"chat_completion/{CHATTER}": {"model": "HuggingFaceTB/SmolLM2-135M-Instruct", "engine": "transformers",
                                   "dtype": "float32"},
}  # fmt: skip


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, list[str]]]:
    """The live server's URL and two keys of the ``infer`` role."""
    settings = Settings(data_dir=tmp_path_factory.mktemp("batches-live"), api_keys=["boot"], log_format="text",  # type: ignore[arg-type]
                        log_level="warning", provision_defaults=False, preload_models=False,
                        batch_poll_seconds=0.05)  # fmt: skip
    with live_server(settings) as url, httpx.Client(base_url=url, headers=BOOT, timeout=600) as http:
        for path, service_settings in ENDPOINTS.items():
            made = http.put(f"/_inference/{path}", json={"service": "local", "service_settings": service_settings})
            assert made.status_code == 200, made.text
        keys = []
        for name in ("one", "other"):
            key = http.post("/_security/api_key", json={"name": name, "roles": ["infer"]})
            assert key.status_code == 200, key.text
            keys.append(str(key.json()["encoded"]))
        yield url, keys


@pytest.fixture(scope="module")
def client(served: tuple[str, list[str]]) -> openai.OpenAI:
    return openai.OpenAI(base_url=f"{served[0]}/v1", api_key=served[1][0], max_retries=0, timeout=300)


@pytest.fixture(scope="module")
def other(served: tuple[str, list[str]]) -> openai.OpenAI:
    return openai.OpenAI(base_url=f"{served[0]}/v1", api_key=served[1][1], max_retries=0, timeout=300)


def _run(client: openai.OpenAI, url: str, bodies: list[dict[str, Any]]) -> tuple[Batch, dict[str, Any]]:
    """The batch of ``bodies`` (custom ids ``r0``, ``r1``, …) once over, and its output lines by custom id."""
    content = b"".join(orjson.dumps({"custom_id": f"r{n}", "method": "POST", "url": url, "body": body}) + b"\n"
                       for n, body in enumerate(bodies))  # fmt: skip
    made = client.files.create(file=("in.jsonl", io.BytesIO(content)), purpose="batch")
    batch = client.batches.create(input_file_id=made.id, endpoint=url, completion_window="24h")  # type: ignore[arg-type]
    deadline = time.monotonic() + 600
    while (batch := client.batches.retrieve(batch.id)).status not in ("completed", "failed", "cancelled"):
        assert time.monotonic() < deadline, f"the batch is still {batch.status}"
        time.sleep(0.2)
    assert batch.output_file_id is not None, batch
    lines = [orjson.loads(line) for line in client.files.content(batch.output_file_id).content.splitlines()]
    return batch, {line["custom_id"]: line for line in lines}


def test_an_embeddings_batch_answers_each_line_as_the_request_sent_alone(client: openai.OpenAI) -> None:
    texts = ["hello world", "batches run overnight", "a third text", "bonjour", "the last one of the batch"]
    batch, output = _run(client, "/v1/embeddings", [{"model": EMBEDDER, "input": text} for text in texts])
    assert (batch.status, batch.request_counts.model_dump() if batch.request_counts else None) == (
        "completed", {"total": 5, "completed": 5, "failed": 0},
    )  # fmt: skip
    assert batch.error_file_id is None
    assert batch.usage is not None
    assert batch.usage.input_tokens == sum(
        line["response"]["body"]["usage"]["prompt_tokens"] for line in output.values()
    )
    for n, text in enumerate(texts):
        alone = client.embeddings.create(model=EMBEDDER, input=text, encoding_format="float")
        response = output[f"r{n}"]["response"]
        assert response["status_code"] == 200
        assert response["body"]["model"] == EMBEDDER
        assert np.allclose(response["body"]["data"][0]["embedding"], alone.data[0].embedding, atol=1e-5)


def test_a_chat_batch_answers_each_line_as_the_greedy_request_sent_alone(client: openai.OpenAI) -> None:
    prompts = ["Say hello.", "Name a colour.", "What is 2 + 2?"]
    bodies = [{"model": CHATTER, "messages": [{"role": "user", "content": p}], "max_tokens": 8, "temperature": 0}
              for p in prompts]  # fmt: skip
    batch, output = _run(client, "/v1/chat/completions", bodies)
    assert batch.status == "completed"
    for n, body in enumerate(bodies):
        alone = client.chat.completions.create(**body)
        answered = output[f"r{n}"]["response"]["body"]
        assert answered["object"] == "chat.completion"
        assert answered["choices"][0]["message"]["content"] == alone.choices[0].message.content
        assert answered["usage"]["completion_tokens"] == alone.usage.completion_tokens  # type: ignore[union-attr]


def test_files_are_listed_read_and_deleted_and_another_keys_are_404(
    client: openai.OpenAI, other: openai.OpenAI, tmp_path: Path
) -> None:
    source = tmp_path / "in.jsonl"
    source.write_bytes(b'{"custom_id": "a", "method": "POST", "url": "/v1/embeddings", "body": {}}\n')
    with source.open("rb") as handle:
        made = client.files.create(file=handle, purpose="batch")
    assert made.filename == "in.jsonl"
    assert made.id in [f.id for f in client.files.list()]
    assert client.files.retrieve(made.id).bytes == source.stat().st_size
    assert client.files.content(made.id).content == source.read_bytes()
    with pytest.raises(openai.NotFoundError):
        other.files.retrieve(made.id)
    with pytest.raises(openai.NotFoundError):
        other.batches.create(input_file_id=made.id, endpoint="/v1/embeddings", completion_window="24h")
    assert client.files.delete(made.id).deleted
    with pytest.raises(openai.NotFoundError):
        client.files.content(made.id)


def test_a_batch_with_bad_lines_fails_naming_them_and_sends_nothing(client: openai.OpenAI) -> None:
    good = orjson.dumps({"custom_id": "a", "method": "POST", "url": "/v1/embeddings",
                         "body": {"model": EMBEDDER, "input": "x"}})  # fmt: skip
    content = b"\n".join([good, b"not json", good.replace(b"/v1/embeddings", b"/v1/completions"), good]) + b"\n"
    made = client.files.create(file=("bad.jsonl", io.BytesIO(content)), purpose="batch")
    batch = client.batches.create(input_file_id=made.id, endpoint="/v1/embeddings", completion_window="24h")
    assert batch.status == "failed"
    assert batch.errors is not None
    assert [(e.line, e.code) for e in batch.errors.data or []] == [
        (2, "invalid_json_line"), (3, "mismatched_endpoint"), (4, "duplicate_custom_id"),
    ]  # fmt: skip
    assert batch.id in [b.id for b in client.batches.list()]

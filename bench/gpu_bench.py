"""hfgate on a CUDA GPU against sentence-transformers and transformers in-process on the same GPU.

``embed``: sentence-transformers ``encode`` in this process (float32 and float16) against ``hfgate serve``
over HTTP (one ``local`` endpoint per ``--engines`` entry; ``--clients`` concurrent POSTs of ``--batch``
texts to ``/v1/embeddings``, base64 as the openai client sends, from ``--client-procs`` processes), on
the shared corpora (``HFGATE_BENCH_DATA``: 5,000 Debian synopses, ~12 tokens; 1,000 descriptions,
~90), cycled. Rounds are interleaved (sentence-transformers, then each endpoint, per round) and the
median of the rounds is reported, with each side's worst cosine to sentence-transformers' float32
vectors of the same texts. An ``auto`` endpoint is created last and its ``engine_choice`` (measured on
the GPU) printed.

``generate``: transformers' ``generate`` (greedy, ``--new-tokens``) in this process at 1 and 32 streams
against hfgate's ``local`` ``transformers`` engine over HTTP (``/v1/completions``, the same number of
concurrent requests), the same model and dtype; tokens/s counted from the answers' usage.

Every figure is one JSON line on stdout (``--out`` keeps them too) and a table at the end. Runs on a CPU
as well (``--device cpu``: a dry run of the same code, small sizes, CPU engines).

Example (on a GPU machine)::

    python bench/gpu_bench.py embed generate --model DIR --llm DIR --engines cuda-fp16,cuda
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import contextlib
import json
import multiprocessing
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
ROWS: list[dict[str, Any]] = []
OUT: Path | None = None


def emit(**row: Any) -> None:
    ROWS.append(row)
    print(json.dumps(row), flush=True)
    if OUT is not None:
        with OUT.open("a") as f:
            f.write(json.dumps(row) + "\n")


def say(*parts: Any) -> None:
    print(f"[{time.strftime('%H:%M:%S')}]", *parts, flush=True)


def corpora() -> dict[str, list[str]]:
    folder = Path(os.environ.get("HFGATE_BENCH_DATA") or ROOT.parent / "shared" / "bench-data")
    short = [str(t) for t in json.loads((folder / "corpus_short.json").read_text())]
    long = [str(t) for t in json.loads((folder / "corpus_long.json").read_text())]
    return {"short": short, "long": long}


def cycled(texts: list[str], n: int) -> list[str]:
    return [texts[i % len(texts)] for i in range(n)]


# ---------------------------------------------------------------- sentence-transformers in this process


class Reference:
    """sentence-transformers on the device, in float32 (the reference vectors) and float16."""

    def __init__(self, model: str, device: str) -> None:
        import torch
        from sentence_transformers import SentenceTransformer

        self.torch, self.device = torch, device
        self.models = {"fp32": SentenceTransformer(model, device=device, local_files_only=True).float()}
        if device.startswith("cuda"):
            self.models["fp16"] = SentenceTransformer(model, device=device, local_files_only=True).half()

    def encode(self, dtype: str, texts: list[str], batch: int = 256) -> np.ndarray:
        return np.asarray(self.models[dtype].encode(texts, batch_size=batch, normalize_embeddings=True))

    def rate(self, dtype: str, texts: list[str]) -> float:
        best = 0.0
        for batch in (256, 1024):
            self.encode(dtype, texts[:batch], batch)  # warm-up at this batch size
            if self.device.startswith("cuda"):
                self.torch.cuda.synchronize()
            start = time.perf_counter()
            self.encode(dtype, texts, batch)
            if self.device.startswith("cuda"):
                self.torch.cuda.synchronize()
            best = max(best, len(texts) / (time.perf_counter() - start))
        return best


def worst_cosine(a: np.ndarray, b: np.ndarray) -> float:
    a = a / np.linalg.norm(a, axis=1, keepdims=True)
    b = b / np.linalg.norm(b, axis=1, keepdims=True)
    return float(np.min(np.sum(a * b, axis=1)))


# ---------------------------------------------------------------- hfgate serve


SERVERS: list[Server] = []


def stop_all_and_exit(code: int) -> None:
    for server in SERVERS:
        server.stop(wait=False)
    print("stopped (signal); the rows so far are in --out", flush=True)
    os._exit(code)


class Server:
    """``hfgate serve`` in a process group of its own, on a fresh data directory."""

    def __init__(self, port: int, workers: int, env: dict[str, str]) -> None:
        self.base = f"http://127.0.0.1:{port}"
        self.data = Path(tempfile.mkdtemp(prefix="hfgate-gpu-bench-"))
        self.log = self.data / "server.log"
        environ = {
            **os.environ,
            "HFGATE_DATA_DIR": str(self.data / "data"),
            "HFGATE_PROVISION_DEFAULTS": "false",
            "HFGATE_EMBED_CACHE": "false",  # every text computed, never served from the cache
            "HFGATE_LOG_FORMAT": "text",
            "HFGATE_DRAIN_DELAY_SECONDS": "0",
            "HFGATE_DRAIN_SECONDS": "2",
            "HF_HUB_OFFLINE": "1",
            **env,
        }
        command = [sys.executable, "-m", "hfgate.cli", "serve", "--port", str(port), "--no-preload"]
        command += ["--workers", str(workers)]
        self.process = subprocess.Popen(
            command, env=environ, stdout=self.log.open("w"), stderr=subprocess.STDOUT, start_new_session=True
        )
        SERVERS.append(self)

    def wait_up(self) -> None:
        import httpx

        for _ in range(240):
            if self.process.poll() is not None:
                raise SystemExit(f"hfgate exited at start-up:\n{self.log.read_text()[-4000:]}")
            try:
                if httpx.get(self.base + "/health", timeout=2).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.5)
        raise SystemExit("hfgate did not answer /health in 120 s")

    def put(self, task: str, eid: str, settings: dict[str, Any]) -> dict[str, Any]:
        import httpx

        body = {"service": "local", "service_settings": settings}
        answer = httpx.put(f"{self.base}/_inference/{task}/{eid}?timeout=300s", json=body, timeout=330)
        if answer.status_code != 200:
            raise RuntimeError(f"create {eid}: {answer.status_code} {answer.text[:2000]}")
        return dict(answer.json()["service_settings"])

    def wait_answering(self, eid: str, *, seconds: float) -> None:
        """Until a one-token completion on ``eid`` answers 200 (503 while its model or server loads)."""
        import httpx

        body = {"model": eid, "prompt": "Hello", "max_tokens": 1}
        deadline = time.time() + seconds
        while True:
            answer = httpx.post(f"{self.base}/v1/completions", json=body, timeout=120)
            if answer.status_code == 200:
                return
            if answer.status_code != 503 or time.time() > deadline:
                raise RuntimeError(f"{eid} does not answer: {answer.status_code} {answer.text[:500]}")
            time.sleep(2)

    def settings(self, eid: str) -> dict[str, Any]:
        import httpx

        answer = httpx.get(f"{self.base}/_inference/{eid}", timeout=30)
        return dict(answer.json()["endpoints"][0]["service_settings"]) if answer.status_code == 200 else {}

    def stop(self, *, wait: bool = True) -> None:
        try:
            os.killpg(self.process.pid, signal.SIGTERM if wait else signal.SIGKILL)
            self.process.wait(20)
        except (ProcessLookupError, subprocess.TimeoutExpired):
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, signal.SIGKILL)

    def log_tail(self, lines: int = 30) -> str:
        return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])


# ---------------------------------------------------------------- HTTP load, from client processes


def _client_proc(args: tuple[str, str, list[bytes], int, float, int]) -> tuple[int, int, float, list[float], str]:
    """One client process: ``conns`` connections posting ``bodies`` in turn until ``seconds`` pass."""
    base, path, bodies, conns, seconds, expect = args
    import aiohttp

    async def main() -> tuple[int, int, float, list[float], str]:
        done, tokens, latencies, error = 0, 0, [], ""
        timeout = aiohttp.ClientTimeout(total=600)
        async with aiohttp.ClientSession(timeout=timeout, connector=aiohttp.TCPConnector(limit=conns)) as s:
            headers = {"Content-Type": "application/json"}

            async def post(body: bytes) -> dict[str, Any]:
                async with s.post(base + path, data=body, headers=headers) as r:
                    data = await r.read()
                    if r.status != 200:
                        raise RuntimeError(f"{r.status} {data[:300]!r}")
                    return dict(json.loads(data))

            for i in range(conns):  # warm-up: one request per connection
                await post(bodies[i % len(bodies)])
            start = time.perf_counter()
            deadline = start + seconds
            counter = iter(range(10**9))

            async def client() -> None:
                nonlocal done, tokens, error
                while time.perf_counter() < deadline and not error:
                    body = bodies[next(counter) % len(bodies)]
                    t = time.perf_counter()
                    try:
                        answer = await post(body)
                    except Exception as exc:
                        error = repr(exc)[:500]
                        return
                    latencies.append(time.perf_counter() - t)
                    if expect:
                        assert len(answer["data"]) == expect, (len(answer["data"]), expect)
                        done += expect
                        tokens += answer["usage"]["prompt_tokens"]
                    else:
                        done += 1
                        tokens += answer["usage"]["completion_tokens"]

            await asyncio.gather(*(client() for _ in range(conns)))
            return done, tokens, time.perf_counter() - start, latencies, error

    return asyncio.run(main())


def load(
    base: str, path: str, bodies: list[bytes], clients: int, procs: int, seconds: float, expect: int
) -> dict[str, Any]:
    procs = max(1, min(procs, clients))
    shares = [clients // procs + (1 if i < clients % procs else 0) for i in range(procs)]
    jobs = [(base, path, bodies[i::procs] or bodies, share, seconds, expect) for i, share in enumerate(shares)]
    with multiprocessing.get_context("spawn").Pool(procs) as pool:
        results = pool.map(_client_proc, jobs)
    errors = [r[4] for r in results if r[4]]
    if errors:
        raise RuntimeError(errors[0])
    done, tokens = sum(r[0] for r in results), sum(r[1] for r in results)
    secs = max(r[2] for r in results)
    latencies = sorted(x for r in results for x in r[3])
    return {
        "per_s": round(done / secs, 1),
        "tokens_per_s": round(tokens / secs, 1),
        "p50_ms": round(1000 * latencies[len(latencies) // 2], 1),
        "p99_ms": round(1000 * latencies[int(len(latencies) * 0.99)], 1),
    }


def embedding_bodies(eid: str, texts: list[str], batch: int) -> list[bytes]:
    return [
        json.dumps({"model": eid, "input": texts[i : i + batch], "encoding_format": "base64"}).encode()
        for i in range(0, len(texts) - batch + 1, batch)
    ]


def vectors_over_http(base: str, eid: str, texts: list[str]) -> np.ndarray:
    import httpx

    rows = []
    for i in range(0, len(texts), 64):
        body = {"model": eid, "input": texts[i : i + 64], "encoding_format": "base64"}
        answer = httpx.post(base + "/v1/embeddings", json=body, timeout=120)
        answer.raise_for_status()
        rows += [np.frombuffer(base64.b64decode(d["embedding"]), dtype=np.float32) for d in answer.json()["data"]]
    return np.stack(rows)


# ---------------------------------------------------------------- parts


def embed_part(a: argparse.Namespace) -> None:
    texts = corpora()
    small = not a.device.startswith("cuda")
    sizes = {"short": 512 if small else 20_000, "long": 128 if small else 4_000}
    data = {kind: cycled(texts[kind], sizes[kind]) for kind in texts}
    reference = Reference(a.model, a.device)
    check = {kind: data[kind][:512] for kind in data}
    truth = {kind: reference.encode("fp32", check[kind]) for kind in data}
    st_cos = {
        (dtype, kind): worst_cosine(reference.encode(dtype, check[kind]), truth[kind])
        for dtype in reference.models
        for kind in data
    }
    env = {"HFGATE_LOCAL_DEVICE": a.device}
    server = Server(a.port, a.workers, env)
    figures: dict[tuple[str, str], list[float]] = {}
    extra: dict[tuple[str, str], dict[str, Any]] = {}
    try:
        server.wait_up()
        say("hfgate is up")
        engines = a.engines.split(",")
        for engine in engines:
            started = time.perf_counter()
            shown = server.put("text_embedding", f"e-{engine}", {"model": a.model, "engine": engine})
            say(f"created e-{engine} in {time.perf_counter() - started:.1f} s:", shown.get("engine_choice"))
            got = {kind: vectors_over_http(server.base, f"e-{engine}", check[kind]) for kind in data}
            device = server.settings(f"e-{engine}").get("device")
            for kind in data:
                cos = round(worst_cosine(got[kind], truth[kind]), 6)
                emit(part="embed", who=f"hfgate {engine}{a.label}", texts=kind, worst_cos=cos, device=device)
        for engine in engines if a.warmup > 0 else ():  # untimed: every worker loads and meets each batch shape
            for kind in data:
                load(server.base, "/v1/embeddings", embedding_bodies(f"e-{engine}", data[kind], a.batch), a.clients,
                     a.client_procs, a.warmup, a.batch)  # fmt: skip
        for round_ in range(a.rounds):
            for kind in data:
                for dtype in reference.models:
                    rate = reference.rate(dtype, data[kind])
                    figures.setdefault((f"sentence-transformers {dtype}", kind), []).append(rate)
                    emit(
                        part="embed",
                        round=round_,
                        who=f"sentence-transformers {dtype}",
                        texts=kind,
                        per_s=round(rate, 1),
                    )
                # engines in turn, the order reversed every other round: no engine always runs first
                for engine in engines if round_ % 2 == 0 else engines[::-1]:
                    bodies = embedding_bodies(f"e-{engine}", data[kind], a.batch)
                    got = load(server.base, "/v1/embeddings", bodies, a.clients, a.client_procs, a.seconds, a.batch)
                    figures.setdefault((f"hfgate {engine}{a.label}", kind), []).append(got["per_s"])
                    extra[(f"hfgate {engine}{a.label}", kind)] = got
                    emit(part="embed", round=round_, who=f"hfgate {engine}{a.label}", texts=kind, **got)
        if a.auto_wait > 0:
            server.put("text_embedding", "e-auto", {"model": a.model})
            deadline = time.time() + a.auto_wait
            choice = ""
            while time.time() < deadline:
                choice = str(server.settings("e-auto").get("engine_choice", ""))
                if choice and not choice.startswith("measuring"):
                    break
                time.sleep(2)
            emit(part="embed", who="hfgate auto", engine_choice=choice)
    finally:
        server.stop()
        say("server log, last lines:\n" + server.log_tail(20))
    for (who, kind), rates in figures.items():
        median = statistics.median(rates)
        base = statistics.median(
            figures[("sentence-transformers fp16" if not small else "sentence-transformers fp32", kind)]
        )
        cos = st_cos.get((who.split()[-1], kind))
        emit(part="embed", summary=True, who=who, texts=kind, median_per_s=round(median, 1), rounds=len(rates),
             vs_st_best=round(median / base, 2), st_worst_cos=None if cos is None else round(cos, 6),
             **{k: v for k, v in extra.get((who, kind), {}).items() if k.startswith("p")})  # fmt: skip


def generate_part(a: argparse.Namespace) -> None:
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    small = not a.device.startswith("cuda")
    new = 8 if small else a.new_tokens
    tokenizer = AutoTokenizer.from_pretrained(a.llm)
    words = corpora()["long"]
    prompts = [" ".join(words[i].split()[:30]) for i in range(64)]
    dtype = {"bfloat16": torch.bfloat16, "float32": torch.float32, "float16": torch.float16}[a.dtype]
    model = AutoModelForCausalLM.from_pretrained(a.llm, dtype=dtype).to(a.device).eval()
    server = Server(a.port + 1, 1, {"HFGATE_LOCAL_DEVICE": a.device})
    try:
        for streams in (1, 32):
            batch = tokenizer(prompts[:streams], return_tensors="pt", padding=True, padding_side="left").to(a.device)
            kw = {
                "max_new_tokens": new,
                "min_new_tokens": new,
                "do_sample": False,
                "pad_token_id": tokenizer.pad_token_id,
            }
            rates = []
            with torch.inference_mode():
                model.generate(**batch, **kw)
                for _ in range(2):
                    if not small:
                        torch.cuda.synchronize()
                    start = time.perf_counter()
                    model.generate(**batch, **kw)
                    if not small:
                        torch.cuda.synchronize()
                    rates.append(streams * new / (time.perf_counter() - start))
            emit(
                part="generate",
                who=f"transformers generate {a.dtype}",
                streams=streams,
                tokens_per_s=round(max(rates), 1),
            )
        del model
        server.wait_up()
        shown = server.put("completion", "g", {"model": a.llm, "engine": a.llm_engine, "dtype": a.dtype})
        say("created g:", shown.get("engine_choice"))
        server.wait_answering("g", seconds=a.ready_wait)  # a managed vLLM answers 503 until it has loaded
        for streams in (1, 32):
            bodies = [
                json.dumps({"model": "g", "prompt": p, "max_tokens": new, "temperature": 0}).encode() for p in prompts
            ]
            got = load(server.base, "/v1/completions", bodies, streams, min(streams, a.client_procs), a.seconds, 0)
            device = server.settings("g").get("device")
            emit(part="generate", who=f"hfgate {a.llm_engine} {a.dtype}", streams=streams, device=device,
                 tokens_per_s=got["tokens_per_s"], requests_per_s=got["per_s"], p50_ms=got["p50_ms"])  # fmt: skip
        if a.compare_url:
            greedy_equal(server.base, a.compare_url, prompts[:8])
    finally:
        server.stop()
        say("server log, last lines:\n" + server.log_tail(15))


def greedy_equal(ours: str, theirs: str, prompts: list[str]) -> None:
    """Whether hfgate's endpoint ``g`` answers each prompt, greedily, as the vLLM at ``theirs`` does."""
    import httpx

    name = httpx.get(theirs + "/v1/models", timeout=30).json()["data"][0]["id"]
    same = 0
    for prompt in prompts:
        body = {"prompt": prompt, "max_tokens": 32, "temperature": 0}
        answers = [
            httpx.post(base + "/v1/completions", json={**body, "model": model}, timeout=120).json()
            for base, model in ((ours, "g"), (theirs, name))
        ]
        texts = [answer["choices"][0]["text"] for answer in answers]
        same += texts[0] == texts[1]
    emit(part="greedy", who="hfgate's managed vLLM vs a vLLM started by hand", equal=same, of=len(prompts))


def main() -> None:
    global OUT
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("parts", nargs="*", default=["embed", "generate"], choices=["embed", "generate"])
    parser.add_argument("--device", default="cuda")
    parser.add_argument("--model", required=True, help="a sentence-transformers model directory")
    parser.add_argument("--llm", help="a transformers causal LM directory (generate)")
    parser.add_argument("--engines", default="cuda-fp16,cuda")
    parser.add_argument("--dtype", default="bfloat16")
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--client-procs", type=int, default=4)
    parser.add_argument("--batch", type=int, default=32)
    parser.add_argument("--seconds", type=float, default=8.0)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--workers", type=int, default=1, help="hfgate serve --workers")
    parser.add_argument("--label", default="", help="appended to hfgate's rows (the server's settings)")
    parser.add_argument("--warmup", type=float, default=0.0, help="seconds of untimed load per engine and text kind")
    parser.add_argument("--new-tokens", type=int, default=64)
    parser.add_argument("--llm-engine", default="transformers", choices=["transformers", "vllm"],
                        help="the generation endpoint's engine (vllm: a managed vLLM server)")  # fmt: skip
    parser.add_argument("--compare-url", help="generate: a vLLM started by hand whose greedy answers ours must equal")
    parser.add_argument("--ready-wait", type=float, default=600.0, help="seconds to wait for the LLM to answer")
    parser.add_argument("--auto-wait", type=float, default=90.0, help="seconds to wait for auto's choice (0: skip)")
    parser.add_argument("--port", type=int, default=18080)
    parser.add_argument("--out", type=Path)
    a = parser.parse_args()
    OUT = a.out
    # stopped by `timeout`: stop the servers (each in a session of its own) and leave at once, without
    # waiting on the client processes (a pool's terminate can hang on a client mid-request)
    signal.signal(signal.SIGTERM, lambda *_: stop_all_and_exit(143))
    import torch

    gpu = torch.cuda.get_device_name(0) if a.device.startswith("cuda") else "none"
    lines = Path("/proc/cpuinfo").read_text().splitlines()
    cpu = next((line.split(":", 1)[1].strip() for line in lines if line.startswith("model name")), "?")
    emit(part="machine", gpu=gpu, cpu=cpu, cores=os.cpu_count(), torch=torch.__version__)
    for part in a.parts:
        try:
            (embed_part if part == "embed" else generate_part)(a)
        except Exception as exc:
            emit(part=part, error=repr(exc)[:3000])
    print("\n| part | who | texts/streams | per s (median) | vs sentence-transformers fp16 | worst cos | p50 ms |")
    for r in ROWS:
        if r.get("summary") or r.get("part") == "generate":
            print(f"| {r['part']} | {r.get('who')} | {r.get('texts', r.get('streams'))} | "
                  f"{r.get('median_per_s', r.get('tokens_per_s'))} | {r.get('vs_st_best', '')} | "
                  f"{r.get('st_worst_cos', '')} | {r.get('p50_ms', '')} |")  # fmt: skip


if __name__ == "__main__":
    main()

"""OpenAI batches (issue #83) on the local MiniLM: against embed-corpus, beside interactive requests, across a kill -9.

One live ``hfgate serve`` (started here on a fresh data directory, ``--no-preload``, no default endpoints) and
one endpoint, ``bench-minilm``: all-MiniLM-L6-v2 on one pinned engine (``--engine``, ``onnx`` by default, never
``auto``), its embedding cache off (the endpoint's ``cache: off`` and ``HFGATE_EMBED_CACHE=false``: the texts
repeat within a round and from round to round). The texts are the shared Debian corpora
(``../shared/bench-data``, ``HFGATE_BENCH_DATA``): the short synopses and the full descriptions in
corpus_bench.py's proportion, cycled to ``--lines``. Each round measures, in turn (the order of the paired
systems alternating from round to round), and the table gives medians over ``--rounds``:

1. **Batch against embed-corpus.** ``--lines`` lines of ``/v1/embeddings`` (one text each) as a batch through the
   ``openai`` SDK, timed from ``batches.create`` to ``completed`` (the file uploaded before the clock starts;
   polled every 0.2 s); against ``embed-corpus`` on the same texts and the same endpoint, run in this process
   (``hfgate.corpus.job.embed_corpus``, its models loaded once before, as the server's are: both warm), with
   its defaults (``--batch 64``, ``--concurrency 4``) unless ``--corpus-batch``/``--corpus-concurrency`` say
   otherwise. Texts/s each, and batch / embed-corpus (issue #83's target: at least 0.9). The batch's time
   includes the runner's idle poll (``HFGATE_BATCH_POLL_SECONDS``, 1 s) before it sees the new batch, as a
   user's does. A batch line embeds its text whole (the model reads its first 256 tokens); embed-corpus
   chunks it first (250 words: 16 of the 1,000 long texts are longer), so it may embed a few more pieces: its
   chunks are printed.
2. **Interactive latency beside a batch.** ``--interactive-rate`` requests a second (open loop: sent on a fixed
   schedule whatever the answers do), one short text each to ``/v1/embeddings``, for ``--interactive-seconds``;
   once with nothing else running, once while a batch runs (made big enough, from step 1's pace, to outlast the
   load; cancelled after it). p50 and p99 of each, and p99 beside the batch / p99 alone (target: at most 1.25).
3. **Restart cost.** A batch of ``--lines`` lines; once half its lines are answered the server is killed
   (SIGKILL) and started again on the same data directory. The lines sent twice are the lines claimed and not
   yet recorded at the kill (read from the registry's ``batch_lines`` right after it: each claimed line is sent
   as soon as its chunk is claimed, and its result is written once, so these are exactly the ones sent again);
   ``HFGATE_BATCH_CLAIM_LINES`` bounds them. The delay the restart added: this batch's create-to-completed
   time less step 1's median for the same lines; split into the server's way back (kill to ``/health``
   answering) and the rest, which includes waiting for the dead runner's claims to lapse
   (``HFGATE_BATCH_LEASE_SECONDS``, 120 s by default; ``--lease-seconds`` sets it for the server).

Each batch's counts are checked (every line completed, none failed; after the restart the output file holds
each ``custom_id`` once). Printed with the figures: the CPU model and flags, the load average before and after;
``--json out.json`` writes them all, per round too.

Run: ``flock /tmp/hfgate-bench.lock .venv/bin/python bench/batch_bench.py [--lines 10000] [--rounds 3]
[--interactive-rate 20] [--json out.json]``; ``--quick`` runs tiny sizes end to end (a smoke run: its figures
mean nothing).
"""

from __future__ import annotations

import argparse
import asyncio
import io
import json
import math
import os
import signal
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.corpus_bench import corpus, cpu, load

from support.gateway import free_port
from support.settled import wait_up

SRC = Path(__file__).resolve().parents[1] / "src"
ENDPOINT = "bench-minilm"
MODEL = "all-MiniLM-L6-v2"
FINAL = ("completed", "failed", "cancelled", "expired")
POLL = 0.2


class Server:
    """``hfgate serve`` on ``data``, killed with SIGKILL or stopped, and started again on the same directory."""

    def __init__(self, data: Path, *, lease_seconds: float | None) -> None:
        self.data = data
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.env = os.environ | {
            "PYTHONPATH": str(SRC),
            "HFGATE_DATA_DIR": str(data),
            "HFGATE_PROVISION_DEFAULTS": "false",
            "HFGATE_LOG_LEVEL": "warning",
            "HFGATE_EMBED_CACHE": "false",
            "HF_HUB_OFFLINE": "1",
        }
        if lease_seconds is not None:
            self.env["HFGATE_BATCH_LEASE_SECONDS"] = str(lease_seconds)
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        args = [sys.executable, "-m", "hfgate.cli", "serve", "--port", str(self.port), "--no-preload"]
        self.process = subprocess.Popen(args, env=self.env, start_new_session=True)
        wait_up(self.url + "/health", self.process, seconds=600)

    def kill(self) -> None:
        assert self.process is not None
        os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait()

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        os.killpg(self.process.pid, signal.SIGTERM)
        try:
            self.process.wait(60)
        except subprocess.TimeoutExpired:
            self.kill()

    def create_endpoint(self, engine: str) -> None:
        # The embedding cache off: every round embeds the same texts, and the texts repeat within a round.
        body = {"service": "local", "service_settings": {"model": MODEL, "engine": engine, "cache": "off"}}
        made = httpx.put(f"{self.url}/_inference/text_embedding/{ENDPOINT}", json=body, timeout=1800)
        made.raise_for_status()
        warm = httpx.post(f"{self.url}/v1/embeddings", json={"model": ENDPOINT, "input": "warm up"}, timeout=600)
        warm.raise_for_status()


def lines_file(texts: list[str], prefix: str) -> bytes:
    return "".join(
        json.dumps({"custom_id": f"{prefix}-{i}", "method": "POST", "url": "/v1/embeddings",
                    "body": {"model": ENDPOINT, "input": text}}) + "\n"
        for i, text in enumerate(texts)
    ).encode()  # fmt: skip


def upload(client: Any, texts: list[str], prefix: str) -> str:
    return str(client.files.create(file=(f"{prefix}.jsonl", io.BytesIO(lines_file(texts, prefix))), purpose="batch").id)


def wait_batch(client: Any, batch_id: str, *, until: Any = lambda b: b.status in FINAL) -> Any:
    while not until(batch := client.batches.retrieve(batch_id)):
        time.sleep(POLL)
    return batch


def completed(batch: Any, lines: int) -> None:
    counts = batch.request_counts
    if batch.status != "completed" or counts.completed != lines or counts.failed:
        raise SystemExit(f"batch {batch.id}: {batch.status}, {counts}, errors {batch.errors}")


def run_batch(client: Any, file_id: str, lines: int) -> float:
    """Seconds from create to ``completed``."""
    started = time.perf_counter()
    batch = client.batches.create(input_file_id=file_id, endpoint="/v1/embeddings", completion_window="24h")
    batch = wait_batch(client, batch.id)
    seconds = time.perf_counter() - started
    completed(batch, lines)
    return seconds


class Corpus:
    """embed-corpus in this process, on the server's data directory and endpoint, its models loaded once."""

    def __init__(self, data: Path, work: Path, *, batch: int, concurrency: int) -> None:
        from hfgate.config import Settings
        from hfgate.process.runtime import new_context

        self.settings = Settings(
            data_dir=data, provision_defaults=False, log_level="warning", preload_models=False, embed_cache=False
        )
        self.context = new_context(self.settings)
        self.work = work
        self.batch = batch
        self.concurrency = concurrency
        self.runs = 0

    def run(self, rows: list[dict[str, str]]) -> tuple[float, int]:
        """Seconds for the job over ``rows`` (a new output folder), and the chunks it embedded."""
        from hfgate.corpus.job import embed_corpus
        from hfgate.corpus.spec import JobSpec

        self.runs += 1
        source = self.work / f"corpus-{self.runs}.jsonl"
        source.write_text("".join(json.dumps(r) + "\n" for r in rows))
        spec = JobSpec(inputs=source, endpoint=ENDPOINT, output=self.work / f"corpus-{self.runs}-out",
                       batch_texts=self.batch, concurrency=self.concurrency)  # fmt: skip
        started = time.perf_counter()
        report = asyncio.run(embed_corpus(spec, settings=self.settings, reporter=_Quiet(), context=self.context))
        seconds = time.perf_counter() - started
        if report.totals.texts != len(rows) or report.rejects:
            raise SystemExit(f"embed-corpus: {report.totals.texts} rows of {len(rows)}, rejects {report.rejects[:3]}")
        return seconds, report.totals.chunks

    def close(self) -> None:
        self.context.close()


class _Quiet:
    def start(self, *, total_rows: int, done_rows: int) -> None: ...
    def advance(self, rows: int, totals: object) -> None: ...
    def finish(self, totals: object) -> None: ...


async def interactive(url: str, texts: list[str], *, rate: float, seconds: float) -> list[float]:
    """Latencies of ``rate`` requests a second for ``seconds``, each sent on schedule (open loop)."""
    latencies: list[float] = []
    limits = httpx.Limits(max_connections=256, max_keepalive_connections=256)
    async with httpx.AsyncClient(timeout=120, limits=limits) as client:

        async def one(text: str) -> None:
            started = time.perf_counter()
            answer = await client.post(f"{url}/v1/embeddings", json={"model": ENDPOINT, "input": text})
            answer.raise_for_status()
            latencies.append(time.perf_counter() - started)

        for text in texts[:3]:  # connections open and warm
            await one(text)
        latencies.clear()
        sent: list[asyncio.Task[None]] = []
        start = time.perf_counter()
        for i in range(max(1, int(rate * seconds))):
            await asyncio.sleep(max(0.0, start + i / rate - time.perf_counter()))
            sent.append(asyncio.create_task(one(texts[i % len(texts)])))
        await asyncio.gather(*sent)
    return latencies


def quantiles(latencies: list[float]) -> dict[str, float]:
    ordered = sorted(latencies)

    def at(q: float) -> float:  # nearest rank
        return ordered[min(len(ordered) - 1, max(0, math.ceil(q * len(ordered)) - 1))]

    return {"p50_ms": at(0.50) * 1000, "p99_ms": at(0.99) * 1000, "requests": len(ordered)}


def beside_batch(server: Server, client: Any, texts: list[str], short: list[str], *, rate: float,
                 seconds: float) -> tuple[dict[str, float], float]:  # fmt: skip
    """The interactive load while a batch of ``texts`` runs; its quantiles, and the share of the load's time
    the batch was still running (1.0: it ran throughout)."""
    file_id = upload(client, texts, f"busy{time.monotonic_ns()}")
    batch = client.batches.create(input_file_id=file_id, endpoint="/v1/embeddings", completion_window="24h")
    wait_batch(client, batch.id, until=lambda b: b.request_counts.completed > 0 or b.status in FINAL)
    started, wall = time.perf_counter(), time.time()
    latencies = asyncio.run(interactive(server.url, short, rate=rate, seconds=seconds))
    load_seconds = time.perf_counter() - started
    state = client.batches.retrieve(batch.id)
    overlap = 1.0
    if state.status in FINAL:  # it ended first (completed_at is in whole seconds)
        overlap = max(0.0, min(1.0, ((state.completed_at or wall) - wall) / load_seconds))
    else:
        client.batches.cancel(batch.id)
        wait_batch(client, batch.id)
    return quantiles(latencies), overlap


def restart(server: Server, client: Any, file_id: str, lines: int, claim_lines: int) -> dict[str, float]:
    """A batch of ``lines`` whose server is killed (SIGKILL) halfway and started again."""
    started = time.perf_counter()
    batch = client.batches.create(input_file_id=file_id, endpoint="/v1/embeddings", completion_window="24h")
    half = wait_batch(client, batch.id, until=lambda b: b.request_counts.completed >= lines // 2 or b.status in FINAL)
    if half.status in FINAL:
        raise SystemExit(f"batch {batch.id} ended ({half.status}) before half its lines were counted")
    server.kill()
    killed, killed_ms = time.perf_counter(), time.time() * 1000
    with sqlite3.connect(server.data / "hfgate.db") as db:  # the registry: what the dead runner held
        held, lease_until = db.execute("SELECT count(*), max(lease_until) FROM batch_lines WHERE batch_id = ? AND "
                                       "result IS NULL AND claimed_by IS NOT NULL", (batch.id,)).fetchone()  # fmt: skip
        (recorded,) = db.execute("SELECT count(*) FROM batch_lines WHERE batch_id = ? AND result IS NOT NULL",
                                 (batch.id,)).fetchone()  # fmt: skip
    server.start()
    back = time.perf_counter()
    done = wait_batch(client, batch.id)
    seconds = time.perf_counter() - started
    completed(done, lines)
    output = client.files.content(done.output_file_id).text.splitlines()
    ids = [json.loads(line)["custom_id"] for line in output]
    if len(ids) != lines or len(set(ids)) != lines:
        raise SystemExit(f"batch {batch.id}: {len(ids)} output lines, {len(set(ids))} custom_ids, {lines} sent")
    return {"seconds": seconds, "sent_twice": held, "claim_lines": claim_lines, "recorded_at_kill": recorded,
            "down_s": back - killed, "after_back_s": time.perf_counter() - back,
            "lease_left_s": max(0.0, (lease_until - killed_ms) / 1000) if lease_until is not None else 0.0}  # fmt: skip


def median(values: list[float]) -> float:
    return statistics.median(values) if values else float("nan")


def measure_round(
    index: int,
    args: argparse.Namespace,
    *,
    server: Server,
    client: Any,
    corpus_job: Corpus,
    rows: list[dict[str, str]],
    file_id: str,
    short: list[str],
    claim_lines: int,
) -> dict[str, Any]:
    """One round: steps 1 and 2 each in turn (the order alternating with ``index``), then step 3."""
    figures: dict[str, Any] = {}
    texts = [r["text"] for r in rows]
    for name in ("batch", "corpus") if index % 2 == 0 else ("corpus", "batch"):
        if name == "batch":
            figures["batch_s"] = run_batch(client, file_id, args.lines)
        else:
            figures["corpus_s"], figures["corpus_chunks"] = corpus_job.run(rows)
    batch_rate = args.lines / figures["batch_s"]
    busy = min(50_000, max(args.lines, int(batch_rate * (args.interactive_seconds + 10) * 1.5)))
    busy_texts = [texts[i % len(texts)] for i in range(busy)]
    rate, seconds = args.interactive_rate, args.interactive_seconds
    for name in ("alone", "beside_batch") if index % 2 == 0 else ("beside_batch", "alone"):
        if name == "alone":
            figures["alone"] = quantiles(asyncio.run(interactive(server.url, short, rate=rate, seconds=seconds)))
        else:
            figures["beside_batch"], figures["batch_overlap"] = beside_batch(
                server, client, busy_texts, short, rate=rate, seconds=seconds
            )
    if not args.no_restart:
        figures["restart"] = restart(server, client, file_id, args.lines, claim_lines)
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--lines", type=int, default=10_000)
    parser.add_argument("--rounds", type=int, default=None, help="3 (--quick: 1)")
    parser.add_argument("--interactive-rate", type=float, default=20.0, help="requests a second (open loop)")
    parser.add_argument("--interactive-seconds", type=float, default=20.0)
    parser.add_argument("--engine", default="onnx", help="the endpoint's pinned engine (not auto)")
    parser.add_argument("--corpus-batch", type=int, default=64, help="embed-corpus --batch (its default)")
    parser.add_argument("--corpus-concurrency", type=int, default=4, help="embed-corpus --concurrency (its default)")
    parser.add_argument("--lease-seconds", type=float, default=None, help="HFGATE_BATCH_LEASE_SECONDS (default 120)")
    parser.add_argument("--no-restart", action="store_true", help="skip step 3")
    parser.add_argument("--json", type=Path, help="write every figure here")
    parser.add_argument("--quick", action="store_true", help="tiny sizes, one round: a smoke run, not a figure")
    args = parser.parse_args()
    if args.quick:
        args.lines, args.interactive_rate, args.interactive_seconds = 40, 5.0, 2.0
        args.lease_seconds = args.lease_seconds or 2.0
    args.rounds = args.rounds or (1 if args.quick else 3)
    if args.engine == "auto":
        raise SystemExit("--engine must name one engine: auto would measure candidates beside the benchmark")
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    from openai import OpenAI

    from hfgate.config import Settings

    claim_lines = Settings(data_dir=Path("/nonexistent")).batch_claim_lines
    if "HFGATE_BATCH_CLAIM_LINES" in os.environ:
        claim_lines = int(os.environ["HFGATE_BATCH_CLAIM_LINES"])
    rows = corpus(args.lines)
    texts = [r["text"] for r in rows]
    short = [r["text"] for r in corpus(2_000) if len(r["text"].split()) < 20]
    work = Path(tempfile.mkdtemp(prefix="hfgate-batch-bench-"))
    server = Server(work / "data", lease_seconds=args.lease_seconds)
    result: dict[str, Any] = {"cpu": cpu(), "load_before": load(), "engine": args.engine, "lines": args.lines,
                              "rounds": args.rounds, "interactive_rate": args.interactive_rate,
                              "interactive_seconds": args.interactive_seconds, "corpus_batch": args.corpus_batch,
                              "corpus_concurrency": args.corpus_concurrency, "claim_lines": claim_lines,
                              "lease_seconds": args.lease_seconds or 120.0, "per_round": []}  # fmt: skip
    print(f"CPU: {result['cpu']}\nload before: {result['load_before']}", flush=True)
    corpus_job: Corpus | None = None
    try:
        server.start()
        server.create_endpoint(args.engine)
        corpus_job = Corpus(work / "data", work, batch=args.corpus_batch, concurrency=args.corpus_concurrency)
        corpus_job.run(rows[:64])  # its model loaded (the server's is, by create_endpoint's request)
        client = OpenAI(base_url=server.url + "/v1", api_key="unused", max_retries=0, timeout=600)
        file_id = upload(client, texts, "lines")
        print(f"{args.lines} lines, {args.rounds} interleaved rounds, engine {args.engine}", flush=True)
        for index in range(args.rounds):
            figures = measure_round(index, args, server=server, client=client, corpus_job=corpus_job, rows=rows,
                                    file_id=file_id, short=short, claim_lines=claim_lines)  # fmt: skip
            result["per_round"].append(figures)
            print(f"round {index + 1}/{args.rounds} done; load {load()}", flush=True)
        report(result)
    finally:
        server.stop()
        if corpus_job is not None:
            corpus_job.close()
    result["load_after"] = load()
    print(f"load after: {result['load_after']}")
    if args.json:
        args.json.write_text(json.dumps(result, indent=1))


def report(result: dict[str, Any]) -> None:
    """Medians over rounds, printed as tables, and kept in ``result['medians']``."""
    rounds = result["per_round"]
    lines = result["lines"]
    batch_rate = median([lines / r["batch_s"] for r in rounds])
    corpus_rate = median([lines / r["corpus_s"] for r in rounds])
    ratio = median([r["corpus_s"] / r["batch_s"] for r in rounds])
    medians: dict[str, Any] = {"batch_texts_per_s": batch_rate, "corpus_texts_per_s": corpus_rate,
                               "batch_over_corpus": ratio,
                               "corpus_chunks": median([r["corpus_chunks"] for r in rounds])}  # fmt: skip
    print(f"\n1. batch against embed-corpus (--batch {result['corpus_batch']} --concurrency "
          f"{result['corpus_concurrency']}), {lines} texts, medians of {len(rounds)} rounds")  # fmt: skip
    print("| system | texts/s |\n|---|---:|")
    print(f"| batch (/v1/embeddings lines, create to completed) | {batch_rate:,.1f} |")
    print(f"| embed-corpus ({medians['corpus_chunks']:.0f} chunks) | {corpus_rate:,.1f} |")
    print(f"batch / embed-corpus: {ratio:.2f} (target ≥ 0.9)")
    alone = {k: median([r["alone"][k] for r in rounds]) for k in ("p50_ms", "p99_ms")}
    busy = {k: median([r["beside_batch"][k] for r in rounds]) for k in ("p50_ms", "p99_ms")}
    p99_ratio = median([r["beside_batch"]["p99_ms"] / r["alone"]["p99_ms"] for r in rounds])
    overlap = min(r["batch_overlap"] for r in rounds)
    medians |= {"interactive_alone": alone, "interactive_beside_batch": busy, "p99_ratio": p99_ratio,
                "batch_overlap_min": overlap}  # fmt: skip
    rate, seconds = result["interactive_rate"], result["interactive_seconds"]
    print(f"\n2. interactive /v1/embeddings at {rate:g}/s for {seconds:g} s")
    print("| load | p50 ms | p99 ms |\n|---|---:|---:|")
    print(f"| alone | {alone['p50_ms']:.1f} | {alone['p99_ms']:.1f} |")
    print(f"| beside a batch | {busy['p50_ms']:.1f} | {busy['p99_ms']:.1f} |")
    print(
        f"p99 beside / alone: {p99_ratio:.2f} (target ≤ 1.25)"
        + ("" if overlap >= 1.0 else f"; WARNING: a batch ended before the load did (overlap {overlap:.2f})")
    )
    if all("restart" in r for r in rounds):
        base = median([r["batch_s"] for r in rounds])
        restart = {k: median([r["restart"][k] for r in rounds])
                   for k in ("seconds", "sent_twice", "recorded_at_kill", "down_s", "after_back_s",
                             "lease_left_s")}  # fmt: skip
        restart["added_s"] = restart["seconds"] - base
        medians["restart"] = restart
        print(f"\n3. kill -9 at half of {lines} lines, started again on the same data directory "
              f"(HFGATE_BATCH_CLAIM_LINES {result['claim_lines']}, lease {result['lease_seconds']:g} s)")  # fmt: skip
        print(f"lines sent twice (claimed, unrecorded at the kill): {restart['sent_twice']:.0f} "
              f"(bound: {result['claim_lines']}); recorded at the kill: {restart['recorded_at_kill']:.0f}")  # fmt: skip
        print(f"create to completed: {restart['seconds']:.1f} s against {base:.1f} s uninterrupted: "
              f"{restart['added_s']:+.1f} s (server down {restart['down_s']:.1f} s; back to completed "
              f"{restart['after_back_s']:.1f} s; the held lines' lease had {restart['lease_left_s']:.1f} s "
              "left at the kill)")  # fmt: skip
    result["medians"] = medians


if __name__ == "__main__":
    main()

"""embed-corpus against a plain sentence-transformers loop over the same chunks, and on Ray.

The corpus is the shared Debian texts (``../shared/bench-data``: 5,000 synopses and 1,000 full
descriptions), cycled in that proportion to ``--texts`` rows with unique ids. Every system embeds the
same chunks (the endpoint's chunking: sentence, 250 words, as ``"chunked": true`` does) with
all-MiniLM-L6-v2. The corpus is cut into ``--slices``; the systems take turns slice by slice
(interleaved), and each system's time is the sum over its slices. Printed: texts/s, chunks/s, the ratio
to sentence-transformers, the CPU model and flags, and the machine's load.

    .venv/bin/python bench/corpus_bench.py --texts 100000 --slices 4 --ray-texts 20000

Set ``HFGATE_BENCH_DATA`` to read the corpora from elsewhere.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import shutil
import tempfile
import time
from pathlib import Path

from support import corpora_dir

DATA = corpora_dir()
ENDPOINT = "bench-minilm"


def corpus(count: int) -> list[dict[str, str]]:
    short = json.loads((DATA / "corpus_short.json").read_text())
    long = json.loads((DATA / "corpus_long.json").read_text())
    texts = [
        t
        for i in range(max(len(short), len(long)))
        for t in (short[i : i + 1] + (long[i : i + 1] if i % 5 == 0 else []))
    ]
    return [{"id": f"t{i}", "text": texts[i % len(texts)]} for i in range(count)]


def cpu() -> str:
    model = next(
        (
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        ),
        platform.processor(),
    )
    flags = next(
        (
            line.split(":", 1)[1].split()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("flags")
        ),
        [],
    )
    wanted = [f for f in flags if f.startswith(("avx512f", "avx512_bf16", "avx512_vnni", "amx", "avx2"))]
    return f"{model}; {os.cpu_count()} cores; {' '.join(sorted(wanted))}"


def load() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


async def create_endpoint(settings: object) -> None:
    from hfgate.process.runtime import Runtime

    runtime = await Runtime.start(settings)  # type: ignore[arg-type]
    try:
        body = {"service": "local", "service_settings": {"model": "all-MiniLM-L6-v2"}}
        await runtime.orchestrator.create(inference_id=ENDPOINT, task_type="text_embedding", body=body)
    finally:
        await runtime.aclose()


def run_hfgate(rows: list[dict[str, str]], *, settings: object, work: Path, name: str) -> tuple[float, int]:
    from hfgate.corpus.job import embed_corpus
    from hfgate.corpus.spec import JobSpec

    source = work / f"{name}.jsonl"
    source.write_text("".join(json.dumps(r) + "\n" for r in rows))
    spec = JobSpec(inputs=source, endpoint=ENDPOINT, output=work / f"{name}-out", batch_texts=64, concurrency=8)
    started = time.perf_counter()
    report = asyncio.run(embed_corpus(spec, settings=settings, reporter=_Quiet()))  # type: ignore[arg-type]
    return time.perf_counter() - started, report.totals.chunks


def run_ray(rows: list[dict[str, str]], *, settings: object, work: Path, workers: int) -> tuple[float, int]:
    from hfgate.corpus.ray_job import import_ray, run_on_ray
    from hfgate.corpus.spec import JobSpec

    ray = import_ray()
    ray.init(num_cpus=os.cpu_count(), include_dashboard=False, log_to_driver=False)
    source = work / "ray.jsonl"
    source.write_text("".join(json.dumps(r) + "\n" for r in rows))
    spec = JobSpec(inputs=source, endpoint=ENDPOINT, output=work / "ray-out", batch_texts=64, concurrency=4)
    started = time.perf_counter()
    quiet = _Quiet()
    report = run_on_ray(spec, settings=settings, address="local", workers=workers, reporter=quiet)  # type: ignore[arg-type]
    elapsed = time.perf_counter() - started
    ray.shutdown()
    return elapsed, report.totals.chunks


def run_st(rows: list[dict[str, str]], *, model: object) -> tuple[float, int]:
    from hfgate.chunking import DEFAULT_CHUNKING_SETTINGS, chunk

    started = time.perf_counter()
    pieces = [
        r["text"][a:b] for r in rows for a, b in (chunk(r["text"], DEFAULT_CHUNKING_SETTINGS) or [(0, len(r["text"]))])
    ]
    model.encode(pieces, batch_size=32)  # type: ignore[attr-defined]
    return time.perf_counter() - started, len(pieces)


class _Quiet:
    def start(self, *, total_rows: int, done_rows: int) -> None: ...
    def advance(self, rows: int, totals: object) -> None: ...
    def finish(self, totals: object) -> None: ...


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--texts", type=int, default=100_000)
    parser.add_argument("--slices", type=int, default=4)
    parser.add_argument("--ray-texts", type=int, default=20_000, help="0 skips Ray")
    parser.add_argument("--ray-workers", type=int, default=2)
    args = parser.parse_args()
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    from sentence_transformers import SentenceTransformer

    from hfgate.config import Settings
    from hfgate.local.catalog import resolve_model

    work = Path(tempfile.mkdtemp(prefix="hfgate-corpus-bench-"))
    settings = Settings(data_dir=work / "data", provision_defaults=False, log_level="warning")
    asyncio.run(create_endpoint(settings))
    model = SentenceTransformer(str(resolve_model("all-MiniLM-L6-v2").path), device="cpu")
    rows = corpus(args.texts)
    size = -(-len(rows) // args.slices)
    totals = {"hfgate embed-corpus": [0.0, 0], "sentence-transformers loop": [0.0, 0]}
    print(f"CPU: {cpu()}\nload before: {load()}\ntexts: {len(rows)} in {args.slices} interleaved slices")
    for index in range(args.slices):
        part = rows[index * size : (index + 1) * size]
        for name, run in (
            ("sentence-transformers loop", lambda p=part: run_st(p, model=model)),
            ("hfgate embed-corpus", lambda p=part, i=index: run_hfgate(p, settings=settings, work=work, name=f"s{i}")),
        ):
            seconds, chunks = run()
            totals[name][0] += seconds
            totals[name][1] += chunks
        print(f"slice {index + 1}/{args.slices} done; load {load()}", flush=True)
    if args.ray_texts:
        ray_rows = corpus(args.ray_texts)
        seconds, chunks = run_ray(ray_rows, settings=settings, work=work, workers=args.ray_workers)
        totals[f"hfgate embed-corpus on Ray (local, {args.ray_workers} workers, first {args.ray_texts} texts)"] = [
            seconds,
            chunks,
        ]
    base = len(rows) / totals["sentence-transformers loop"][0]
    print("\n| system | texts/s | chunks/s | × sentence-transformers |\n|---|---:|---:|---:|")
    for name, (seconds, chunks) in totals.items():
        texts = args.ray_texts if "Ray" in name else len(rows)
        print(f"| {name} | {texts / seconds:,.1f} | {chunks / seconds:,.1f} | {texts / seconds / base:.2f} |")
    print(f"load after: {load()}")
    shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()

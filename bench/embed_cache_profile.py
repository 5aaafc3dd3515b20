"""Where a re-run of ``embed-corpus`` from the embedding cache spends its time.

Runs ``embed_cache_bench.py reembed``'s two jobs once (the fake upstream, ``--latency-ms`` a call), then
the second one with a wall-clock breakdown per step (the steps of ``corpus.job``, ``corpus.embedding``
and the cache wrapped with timers; steps of parts in flight overlap, so their sum may exceed the run)
and the process's CPU time; ``--again N`` edits the same documents and runs again N times more
(CPU and wall of each); with ``--cprofile FILE``, a third run (the same documents edited once
more) under cProfile: the top functions by own time are printed, the stats kept in ``FILE``.

    .venv/bin/python bench/embed_cache_profile.py --docs 20000 --edit 0.05 --latency-ms 100 --cprofile /tmp/re.prof
"""

from __future__ import annotations

import argparse
import cProfile
import functools
import os
import pstats
import tempfile
import time
from collections import defaultdict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from corpus_bench import cpu, load
from embed_cache_bench import FakeUpstream, create, documents, edited, endpoint_body, run_job, settings_for

WALL: dict[str, float] = defaultdict(float)
CALLS: dict[str, int] = defaultdict(int)
EVENTS: list[tuple[str, float, float]] = []


def _timed_async(name: str, function: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(function)
    async def timed(*args: Any, **kwargs: Any) -> Any:
        started = time.perf_counter()
        try:
            return await function(*args, **kwargs)
        finally:
            WALL[name] += time.perf_counter() - started
            CALLS[name] += 1
            EVENTS.append((name, started, time.perf_counter()))

    return timed


def _timed(name: str, function: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(function)
    def timed(*args: Any, **kwargs: Any) -> Any:
        started = time.perf_counter()
        try:
            return function(*args, **kwargs)
        finally:
            WALL[name] += time.perf_counter() - started
            CALLS[name] += 1
            EVENTS.append((name, started, time.perf_counter()))

    return timed


@contextmanager
def step_timers() -> Iterator[None]:
    """Timers around the job's steps (module attributes replaced, put back after)."""
    from hfgate.corpus import embedding, inputs, job, writer
    from hfgate.embed_cache import disk_tier
    from hfgate.orchestrator import cached, cached_spans, core

    targets: list[tuple[Any, str, str, bool]] = [
        (job, "read_part", "read rows (parse)", False),
        (job, "check_row", "check rows", False),
        (job, "write_part", "write Parquet (thread)", False),
        (job, "write_rejects", "write rejects", False),
        (writer, "chunk_table", "  of which: the Arrow table", False),
        (inputs, "_rows", "read the file (once)", False),
        (embedding.PartEmbedder, "embed", "embed a part (lookups + calls)", True),
        (embedding.PartEmbedder, "_batch", "  a batch of changed rows (calls)", True),
        (core.Orchestrator, "cached_chunked", "  the cache lookup of a part", True),
        (cached.CachedEmbeddings, "spans", "    chunk spans (cache)", True),
        (cached.CachedEmbeddings, "peek_chunked", "    offsets and vectors (cache)", True),
        (cached.CachedEmbeddings, "peek", "    vectors (cache)", True),
        (cached_spans, "text_keys", "      hashing keys", False),
        (cached, "text_keys", "      hashing keys", False),
        (disk_tier._Store, "select", "      disk file reads", False),
        (disk_tier._Store, "insert", "      disk file writes", False),
        (core, "cached_inputs", "    cached chunks (assembly)", False),
    ]
    targets = [t for t in targets if hasattr(t[0], t[1])]  # older code (a before/after comparison) lacks some
    saved = [(owner, attribute, getattr(owner, attribute)) for owner, attribute, _, _ in targets]
    for owner, attribute, name, is_async in targets:
        original = getattr(owner, attribute)
        setattr(owner, attribute, (_timed_async if is_async else _timed)(name, original))
    try:
        yield
    finally:
        for owner, attribute, original in saved:
            setattr(owner, attribute, original)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--docs", type=int, default=20_000)
    parser.add_argument("--edit", type=float, default=0.05)
    parser.add_argument("--latency-ms", type=float, default=100.0)
    parser.add_argument("--again", type=int, default=0, help="edit and re-run this many times more")
    parser.add_argument("--cprofile", type=Path, default=None, help="also profile a run, stats kept here")
    args = parser.parse_args()
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    print(f"CPU: {cpu()}; load before: {load()}")
    fake = FakeUpstream(args.latency_ms)
    try:
        docs = documents(args.docs)
        changed_docs, _ = edited(docs, args.edit)
        work = Path(tempfile.mkdtemp(prefix="hfgate-cache-profile-"))
        settings = settings_for(work / "data", embed_cache=True)
        name, body = endpoint_body("fake", fake)
        import asyncio

        asyncio.run(create(settings, name, body))
        first, _ = run_job(docs, settings=settings, work=work, name="first", endpoint=name)
        started_cpu, started_wall = time.process_time(), time.perf_counter()
        with step_timers():
            second, _ = run_job(changed_docs, settings=settings, work=work, name="second", endpoint=name)
        cpu_s = time.process_time() - started_cpu
        print(f"first run {first:.2f} s; second run {second:.2f} s ({cpu_s:.2f} s CPU); {first / second:.1f}x")
        again = changed_docs
        for n in range(args.again):  # the same documents edited once more each time: as many new texts
            again, _ = edited(again, args.edit)
            started_cpu = time.process_time()
            seconds, _ = run_job(again, settings=settings, work=work, name=f"again{n}", endpoint=name)
            print(f"  the same edit again: {seconds:.2f} s ({time.process_time() - started_cpu:.2f} s CPU)")
        print("| step | wall s | calls |\n|---|---:|---:|")
        for step, seconds in WALL.items():
            print(f"| {step} | {seconds:.3f} | {CALLS[step]} |")
        print("\ntimeline of the second run (s from its start; the steps of each part):")
        for step, start, end in sorted(EVENTS, key=lambda e: e[1]):
            if CALLS[step] <= 50:
                print(f"  {start - started_wall:6.3f} → {end - started_wall:6.3f}  {step.strip()}")
        if args.cprofile is not None:
            profiler = cProfile.Profile()
            profiler.enable()
            again, _ = edited(again, args.edit)  # the same documents changed once more: new texts again
            third, _ = run_job(again, settings=settings, work=work, name="third", endpoint=name)
            profiler.disable()
            profiler.dump_stats(args.cprofile)
            print(f"\nunder cProfile: {third:.2f} s")
            pstats.Stats(str(args.cprofile)).sort_stats("tottime").print_stats(30)
    finally:
        fake.stop()
    print(f"load after: {load()}")


if __name__ == "__main__":
    main()

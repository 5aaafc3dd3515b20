"""Where one streamed completion's time to first token goes, on an idle hfgate (issue #25).

Starts ``hfgate serve``'s app (``create_app`` under uvicorn, as the CLI runs it, without preloading) in a
child process with timestamps put around the request path's parts, creates a SmolLM2 endpoint on
``--engine`` (``bench/pinned_endpoint.py``: no ``auto`` measurement runs beside it), then sends
``--requests`` streamed greedy ``/v1/completions`` of one short prompt, one after the other, and reports
each part's median. Server and client stamp ``time.perf_counter()`` (CLOCK_MONOTONIC, the same clock in
both processes), so the client's send, the server's marks and the client's first token lie on one axis.

The marks wrap hfgate's own functions in the child only (``_install_marks``); nothing in hfgate changes.
The floor is the model alone in this process: the same weights and prompt, one prefill forward pass
(transformers float32 and, when exported, ONNX Runtime), median over ``--requests``.

Run: ``flock /tmp/hfgate-bench.lock env PYTHONPATH=src .venv/bin/python bench/ttft_breakdown.py``
"""

from __future__ import annotations

import argparse
import asyncio
import functools
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # bench and tests, run as a script
from bench import pinned_endpoint
from bench.settled import wait_up

PROMPT = "Explain what a database index is."
# (part, from mark, to mark): consecutive marks of one request, in the order the request meets them.
PARTS = (
    ("HTTP in: client send -> ASGI app called (uvicorn parse)", "client.send", "asgi"),
    ("middleware, auth, routing, body read", "asgi", "route"),
    ("request parsing, endpoint lookup (registry)", "route", "endpoint"),
    ("service set-up -> tokenization starts", "endpoint", "encode.start"),
    ("tokenization (prompt -> ids)", "encode.start", "encode.end"),
    ("sequence set-up -> scheduler submit", "encode.end", "submit"),
    ("scheduler wake-up, hand-off to compute thread", "submit", "admit.start"),
    ("batch bookkeeping before prefill", "admit.start", "prefill.start"),
    ("prefill forward pass", "prefill.start", "prefill.end"),
    ("first token picked (sampler)", "prefill.end", "admit.end"),
    ("back to the event loop", "admit.end", "accept.start"),
    ("detokenization, delta", "accept.start", "accept.end"),
    ("delta -> SSE event bytes", "accept.end", "sse"),
    ("SSE event -> response start sent (StreamingResponse, middleware)", "sse", "send.start"),
    ("response start -> first body sent", "send.start", "send.body"),
    ("HTTP out: body sent -> client has the first token", "send.body", "client.first"),
)


# ---------------------------------------------------------------- server side (the child process)


def _stamp(marks: list[tuple[str, float]], name: str) -> None:
    marks.append((name, time.perf_counter()))


def _around(marks: list[tuple[str, float]], owner: Any, attr: str, start: str, end: str | None) -> None:
    """Wrap ``owner.attr`` (sync or async) with marks ``start`` and ``end``."""
    original = getattr(owner, attr)
    if asyncio.iscoroutinefunction(original):

        @functools.wraps(original)
        async def awrapped(*args: Any, **kwargs: Any) -> Any:
            _stamp(marks, start)
            try:
                return await original(*args, **kwargs)
            finally:
                if end:
                    _stamp(marks, end)

        setattr(owner, attr, awrapped)
        return

    @functools.wraps(original)
    def wrapped(*args: Any, **kwargs: Any) -> Any:
        _stamp(marks, start)
        try:
            return original(*args, **kwargs)
        finally:
            if end:
                _stamp(marks, end)

    setattr(owner, attr, wrapped)


def _install_marks(marks: list[tuple[str, float]]) -> None:
    from hfgate.api.openai import routes
    from hfgate.local.generation import causal_batch, onnx_batch
    from hfgate.local.generation.engine import TextGenerator
    from hfgate.local.generation.scheduler import Scheduler
    from hfgate.local.generation.sequence import Sequence
    from hfgate.orchestrator.core import Orchestrator

    _around(marks, routes, "run_completion", "route", None)
    _around(marks, Orchestrator, "endpoint_for", "endpoint_for", "endpoint")
    _around(marks, TextGenerator, "encode_prompt", "encode.start", "encode.end")
    _around(marks, Scheduler, "submit", "submit", None)
    _around(marks, Scheduler, "_admit", "admit.start", "admit.end")
    _around(marks, causal_batch.CausalBatch, "prefill", "prefill.start", "prefill.end")
    _around(marks, onnx_batch.OnnxBatch, "prefill", "prefill.start", "prefill.end")
    _around(marks, Sequence, "accept", "accept.start", "accept.end")
    _around(marks, routes, "sse", "sse", None)


class _Marked:
    """ASGI wrapper: marks the app's call and its first ``http.response.start`` / body sends, and writes
    the request's marks to ``out`` once it is answered (outside the timed path)."""

    def __init__(self, app: Any, marks: list[tuple[str, float]], out: Path) -> None:
        self.app, self.marks, self.out = app, marks, out

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        _stamp(self.marks, "asgi")

        async def marked_send(message: Any) -> None:
            if message["type"] == "http.response.start":
                _stamp(self.marks, "send.start")
            elif message["type"] == "http.response.body" and message.get("body"):
                _stamp(self.marks, "send.body")
            await send(message)

        await self.app(scope, receive, marked_send)
        with self.out.open("a") as out:
            out.writelines(f"{name} {t!r}\n" for name, t in self.marks)
        self.marks.clear()


def serve(port: int, out: Path) -> None:
    import uvicorn

    from hfgate.api.app import create_app
    from hfgate.config import Settings
    from hfgate.serving import uvicorn_options

    marks: list[tuple[str, float]] = []
    _install_marks(marks)
    settings = Settings()
    app = _Marked(create_app(settings), marks, out)
    uvicorn.run(app, host="127.0.0.1", port=port, log_level="warning", access_log=False, **uvicorn_options(settings))


# ---------------------------------------------------------------- client side


async def _one(http: Any, url: str, model: str, new: int) -> dict[str, float]:
    body = {
        "model": model,
        "prompt": PROMPT,
        "max_tokens": new,
        "temperature": 0,
        "stream": True,
    }
    marks = {"client.send": time.perf_counter()}
    async with http.stream("POST", url + "/v1/completions", json=body) as answer:
        answer.raise_for_status()
        marks["client.headers"] = time.perf_counter()
        async for line in answer.aiter_lines():
            first = line.startswith("data: {") and "client.first" not in marks
            if first and any(c.get("text") for c in json.loads(line[6:])["choices"]):
                marks["client.first"] = time.perf_counter()
    marks["client.end"] = time.perf_counter()
    return marks


def _server_marks(out: Path, start: float, end: float) -> dict[str, float]:
    found: dict[str, float] = {}
    for line in out.read_text().splitlines():
        name, value = line.split()
        if start <= float(value) <= end:
            found.setdefault(name, float(value))
    return found


async def _requests(url: str, out: Path, *, model: str, count: int, new: int) -> list[dict[str, float]]:
    import httpx

    async with httpx.AsyncClient(timeout=600) as http:
        for _ in range(3):  # warm-up: model loaded, first-call paths taken
            await _one(http, url, model, new)
        client = [await _one(http, url, model, new) for _ in range(count)]
    return [{**_server_marks(out, c["client.send"], c["client.end"]), **c} for c in client]


def breakdown(args: argparse.Namespace) -> dict[str, float]:
    from tests.support.live_server import free_port

    port, out = free_port(), Path(tempfile.mkdtemp(prefix="hfgate-ttft-")) / "marks.txt"
    out.touch()
    env = {**os.environ, "HFGATE_LOG_LEVEL": "warning", "HFGATE_PRELOAD_MODELS": "false"}
    env.setdefault("HFGATE_DATA_DIR", str(out.parent / "data"))
    child = [sys.executable, __file__, "--serve", str(port), "--marks", str(out)]
    process = subprocess.Popen(child, env=env)
    try:
        url = f"http://127.0.0.1:{port}"
        wait_up(url + "/health", process, seconds=900)
        model = pinned_endpoint.create(url, args.engine)
        runs = asyncio.run(_requests(url, out, model=model, count=args.requests, new=args.new_tokens))
    finally:
        process.terminate()
        process.wait(timeout=60)
    return _report(runs)


def _report(runs: list[dict[str, float]]) -> dict[str, float]:
    print(f"\n| part of the time to first token ({len(runs)} requests) | median ms | min ms |\n|---|---:|---:|")
    figures: dict[str, float] = {}
    for label, start, end in PARTS:
        spans = [(r[end] - r[start]) * 1000 for r in runs if start in r and end in r]
        figures[label] = statistics.median(spans) if spans else float("nan")
        print(f"| {label} | {figures[label]:.2f} | {min(spans, default=float('nan')):.2f} |")
    total = [(r["client.first"] - r["client.send"]) * 1000 for r in runs]
    outside = [t - (r["prefill.end"] - r["prefill.start"]) * 1000 for t, r in zip(total, runs, strict=True)]
    print(f"| **time to first token (client)** | **{statistics.median(total):.1f}** | {min(total):.1f} |")
    print(f"| of which outside the prefill pass | {statistics.median(outside):.1f} | {min(outside):.1f} |")
    return figures


# ---------------------------------------------------------------- the floor: the model alone


def _timed(fn: Callable[[], Any], count: int) -> float:
    fn()
    spans = []
    for _ in range(count):
        began = time.perf_counter()
        fn()
        spans.append(time.perf_counter() - began)
    return statistics.median(spans) * 1000


def floor(count: int) -> None:
    import torch
    import transformers

    from hfgate.local.catalog import resolve_model
    from hfgate.local.generation.gguf_cache import ensure_converted

    path = ensure_converted(resolve_model("HuggingFaceTB/SmolLM2-135M-Instruct"), models_dir=Path(tempfile.mkdtemp()))
    tokenizer = transformers.AutoTokenizer.from_pretrained(path, local_files_only=True)
    model = transformers.AutoModelForCausalLM.from_pretrained(path, dtype=torch.float32, local_files_only=True).eval()
    ids = tokenizer(PROMPT)["input_ids"]

    @torch.inference_mode()
    def prefill() -> int:
        cache = transformers.DynamicCache(config=model.config)
        out = model(input_ids=torch.tensor([ids]), past_key_values=cache, use_cache=True, logits_to_keep=1)
        return int(out.logits[0, -1].argmax())

    print(f"\nfloor: {len(ids)} prompt tokens, torch {torch.__version__}, {torch.get_num_threads()} threads")
    print(f"| transformers float32 prefill + argmax, in-process | {_timed(prefill, count):.2f} ms |")
    print(f"| tokenization alone | {_timed(lambda: tokenizer(PROMPT), count):.3f} ms |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--requests", type=int, default=30)
    parser.add_argument("--new-tokens", type=int, default=4)
    parser.add_argument("--engine", choices=sorted(pinned_endpoint.ENGINES), default="transformers-fp32")
    parser.add_argument("--serve", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--marks", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        serve(args.serve, args.marks)
        return
    load = subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip()
    print(f"{load}\nprompt {PROMPT!r}, {args.new_tokens} new tokens, greedy, streamed /v1/completions, {args.engine}")
    breakdown(args)
    floor(args.requests)
    print(subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip())


if __name__ == "__main__":
    main()

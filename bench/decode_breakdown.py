"""Where one stream's decode time goes, token by token, on hfgate's ONNX engines (issue #25).

Each ``--hfgate NAME=SRC`` starts ``hfgate serve``'s app from the sources in ``SRC`` in a child process
(``create_app`` under uvicorn, as ``hfgate serve`` runs it) with a SmolLM2 endpoint pinned to
``--engine`` (``bench/pinned_endpoint.py``), all on one data directory (``--data``: ONNX exports are
made once there). In the child, timers add up the time spent in hfgate's own per-token functions
(nothing in hfgate changes): ONNX Runtime's run inside a decode step, the batch's step around it, the
compute thread's job (step and token pick), the sequence's ``accept`` (detokenizer, stop strings, delta)
and the SSE event. The client sends ``--requests`` streamed greedy ``/v1/completions`` per round, one
after the other, and takes the time between the first and last chunk over the chunks between them: a
decode token's time as the client sees it. What is left of it after the server's parts is the hand-offs
(event loop to compute thread and back), the queue to the response, and HTTP. Servers' CPU time is read
from ``/proc`` (per generated token, the prefill included). ggml-org's ``llama-server`` (Q4_1) joins
where it is built, with its own per-token decode time (``timings.predicted_per_token_ms``).

The floor, in this process, on the same export: ONNX Runtime's ``run`` alone in a tight loop, one row
(and, with ``--floor-rows 1,8``, a batch of eight rows: the limit of eight streams' tokens/s), greedy,
the KV cache fed back as numpy arrays (what ``OnnxBatch`` did before IOBinding) and with IOBinding on one
shared past/present buffer per layer (what it does now).

With ``--streams 8 --requests 8`` the eight streams run at once (engines_bench.py's 8-stream case): the
server's parts are then per decode step (eight rows), and two more lines give the tokens/s of all
streams and ONNX Runtime's share of the wall (prefills included): what no change outside the engine
can win back.

Run: ``flock /tmp/hfgate-bench.lock env PYTHONPATH=src .venv/bin/python bench/decode_breakdown.py
--hfgate before=/tmp/before/src --hfgate after=src --engine onnx-int4 [--rounds 3] [--requests 4]``
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
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import Any

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # bench and tests, run as a script
from bench import pinned_endpoint
from bench.settled import wait_up

PROMPTS = (
    "Explain what a database index is.",
    "Describe a sunrise in the mountains.",
    "Give advice to a new gardener.",
    "Summarize the plot of a detective story.",
    # with the four above, engines_bench.py's eight (--streams 8 --requests 8: its 8-stream case)
    "Write a short poem about the sea.",
    "List three uses of copper.",
    "What is the capital of Japan, and why is it famous?",
    "Why do cats purr?",
)
# (part, timer): the server's per-token parts, each a timer added up in the child.
PARTS = (
    ("ONNX Runtime run (decode step)", "ort"),
    ("batch step around it (feeds, KV cache, logits)", "step"),
    ("compute job: step + token pick (sampler)", "job"),
    ("accept: detokenizer, stop strings, delta (event loop)", "accept"),
    ("delta -> SSE event bytes", "sse"),
)

# ---------------------------------------------------------------- server side (the child process)

_TOTALS: dict[str, float] = {}
_INSIDE = threading.local()


def _timed(owner: Any, attr: str, key: str, *, only_in_step: bool = False, marks_step: bool = False) -> None:
    """Wrap ``owner.attr`` so that the seconds spent in it add up under ``key``."""
    original = getattr(owner, attr)

    @functools.wraps(original)
    def wrapped(*args: Any, **kwargs: Any) -> Any:
        if only_in_step and not getattr(_INSIDE, "step", False):
            return original(*args, **kwargs)
        _INSIDE.step = marks_step or getattr(_INSIDE, "step", False)
        began = time.perf_counter()
        try:
            return original(*args, **kwargs)
        finally:
            _TOTALS[key] = _TOTALS.get(key, 0.0) + time.perf_counter() - began
            _TOTALS[key + ".calls"] = _TOTALS.get(key + ".calls", 0.0) + 1
            if marks_step:
                _INSIDE.step = False

    setattr(owner, attr, wrapped)


def _install_timers() -> None:
    import onnxruntime

    from hfgate.api.openai import routes
    from hfgate.local.generation import onnx_batch
    from hfgate.local.generation.scheduler import Scheduler
    from hfgate.local.generation.sequence import Sequence

    for attr in ("run", "run_with_iobinding"):
        _timed(onnxruntime.InferenceSession, attr, "ort", only_in_step=True)
        _timed(onnxruntime.InferenceSession, attr, "ort all")  # prefills too: --streams' share of the wall
    _timed(onnx_batch.OnnxBatch, "step", "step", marks_step=True)
    _timed(Scheduler, "_step", "job")
    _timed(Sequence, "accept", "accept")
    _timed(routes, "sse", "sse")


class _Reporting:
    """ASGI wrapper: after each request, writes the timers' totals to ``out`` (outside the timed path)."""

    def __init__(self, app: Any, out: Path) -> None:
        self.app, self.out = app, out

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        await self.app(scope, receive, send)
        if scope["type"] == "http":
            self.out.write_text(json.dumps(_TOTALS))


def serve(port: int, out: Path) -> None:
    import uvicorn

    from hfgate.api.app import create_app
    from hfgate.config import Settings
    from hfgate.serving import uvicorn_options

    _install_timers()
    settings = Settings()
    app = _Reporting(create_app(settings), out)
    uvicorn.run(app, host="127.0.0.1", port=port, log_level="warning", access_log=False, **uvicorn_options(settings))


# ---------------------------------------------------------------- client side


class System:
    """A server under test: its url, model name, and where its timers and CPU time are read."""

    def __init__(self, url: str, model: str, *, pid: int, totals: Path | None) -> None:
        self.url, self.model, self.pid, self.totals = url, model, pid, totals

    def read(self) -> dict[str, float]:
        """The child's timer totals and its CPU seconds so far."""
        time.sleep(0.5)  # the child writes its totals once a streamed response has ended
        found = json.loads(self.totals.read_text() or "{}") if self.totals and self.totals.exists() else {}
        fields = Path(f"/proc/{self.pid}/stat").read_text().rsplit(")", 1)[1].split()
        found["cpu"] = (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
        return found


@contextmanager
def hfgate(src: Path, *, data: Path, engine: str) -> Iterator[System]:
    from tests.support.live_server import free_port

    port, totals = free_port(), data / f"totals-{os.getpid()}-{src.resolve().as_posix().replace('/', '_')}.json"
    env = {**os.environ, "PYTHONPATH": f"{src.resolve()}{os.pathsep}{Path(__file__).resolve().parents[1]}"}
    env |= {"HFGATE_DATA_DIR": str(data), "HFGATE_LOG_LEVEL": "warning", "HFGATE_PRELOAD_MODELS": "false"}
    child = [sys.executable, __file__, "--serve", str(port), "--marks", str(totals)]
    process = subprocess.Popen(child, env=env)
    try:
        url = f"http://127.0.0.1:{port}"
        wait_up(url + "/health", process, seconds=900)
        yield System(url, pinned_endpoint.create(url, engine), pid=process.pid, totals=totals)
    finally:
        process.terminate()
        process.wait(timeout=60)


@contextmanager
def llama_server() -> Iterator[System | None]:
    from tests.support.engine_servers import SMOLLM2, launch, missing_reason

    if (reason := missing_reason("llamacpp-chat")) is not None:
        print(f"llama-server skipped: {reason}")
        yield None
        return
    server = launch("llamacpp-chat")
    try:
        yield System(server.ready(), SMOLLM2, pid=server.process.pid, totals=None)
    finally:
        server.stop()


async def _stream(http: Any, system: System, prompt: str, new: int) -> dict[str, float]:
    body = {"model": system.model, "prompt": prompt, "max_tokens": new, "temperature": 0, "stream": True}
    chunks: list[float] = []
    found: dict[str, float] = {}
    async with http.stream("POST", system.url + "/v1/completions", json=body) as answer:
        answer.raise_for_status()
        async for line in answer.aiter_lines():
            if not line.startswith("data: {"):
                continue
            event = json.loads(line[6:])
            if any(c.get("text") for c in event.get("choices", [])):
                chunks.append(time.perf_counter())
            if "timings" in event:  # llama-server's own figures
                found["engine ms/token"] = event["timings"].get("predicted_per_token_ms", float("nan"))
    if len(chunks) > 2:
        found["client ms/token"] = (chunks[-1] - chunks[0]) / (len(chunks) - 1) * 1000
    found["tokens"] = len(chunks)
    return found


async def _round(http: Any, system: System, *, requests: int, new: int, together: int) -> dict[str, float]:
    """One system's share of a round: per-token figures of ``requests`` streams, ``together`` at a time."""
    before = system.read()
    began, streams = time.perf_counter(), []
    for start in range(0, requests, together):
        prompts = [PROMPTS[i % len(PROMPTS)] for i in range(start, min(start + together, requests))]
        streams += await asyncio.gather(*(_stream(http, system, prompt, new) for prompt in prompts))
    wall = time.perf_counter() - began
    after = system.read()
    tokens = sum(s["tokens"] for s in streams)
    figures = {"client": statistics.median(s["client ms/token"] for s in streams if "client ms/token" in s)}
    figures["server CPU"] = (after["cpu"] - before["cpu"]) * 1000 / max(tokens, 1)
    figures["tokens/s"] = tokens / wall
    if "ort all" in after:  # the engine's own time over the wall: what no change outside it can win back
        figures["ORT share"] = (after["ort all"] - before.get("ort all", 0.0)) / wall
    if "engine ms/token" in streams[0]:
        figures["engine"] = statistics.median(s["engine ms/token"] for s in streams)
    steps = after.get("step.calls", 0) - before.get("step.calls", 0)
    for _, key in PARTS if steps else ():
        calls = steps if key in ("ort", "step", "job") else after[key + ".calls"] - before[key + ".calls"]
        figures[key] = (after[key] - before[key]) * 1000 / max(calls, 1)
    return figures


async def measure(
    systems: dict[str, System], *, rounds: int, requests: int, new: int, together: int
) -> dict[str, list[dict]]:
    import httpx

    results: dict[str, list[dict[str, float]]] = {name: [] for name in systems}
    # No keep-alive: llama-server (cpp-httplib) drops idle connections, and a request sent on one fails.
    async with httpx.AsyncClient(timeout=600, limits=httpx.Limits(max_keepalive_connections=0)) as http:
        for system in systems.values():  # warm-up: model loaded, first-call paths taken
            await _stream(http, system, PROMPTS[0], 8)
        for number in range(rounds):
            for name, system in systems.items():
                results[name].append(await _round(http, system, requests=requests, new=new, together=together))
                print(f"round {number + 1} {name}: " + _line(results[name][-1]), flush=True)
    return results


def _line(figures: dict[str, float]) -> str:
    return ", ".join(f"{k} {v:.2f}" for k, v in figures.items())


def report(results: dict[str, list[dict[str, float]]]) -> None:
    names = list(results)
    print("\n| ms per decode token (median of rounds) | " + " | ".join(names) + " |")
    print("|---|" + "---:|" * len(names))
    rows = [("client: between two streamed tokens", "client"), ("llama-server's own decode time", "engine")]
    rows[1:1] = [(label, key) for label, key in PARTS]
    rows += [("server CPU per generated token", "server CPU"), ("tokens/s (all streams)", "tokens/s")]
    rows.append(("ONNX Runtime's share of the wall (prefills included)", "ORT share"))
    for label, key in rows:
        cells = [_median(results[name], key) for name in names]
        if any(c == c for c in cells):
            print(f"| {label} | " + " | ".join(f"{c:.2f}" if c == c else "" for c in cells) + " |")
    rest = [_median(results[n], "client") - _median(results[n], "job") - _median(results[n], "accept") for n in names]
    rest = [r - _median(results[n], "sse") for r, n in zip(rest, names, strict=True)]
    print("| rest: hand-offs, event loop, HTTP, client | " + " | ".join(f"{r:.2f}" if r == r else "" for r in rest))


def _median(runs: list[dict[str, float]], key: str) -> float:
    values = [r[key] for r in runs if key in r]
    return statistics.median(values) if values else float("nan")


# ---------------------------------------------------------------- the floor: ONNX Runtime alone


def _exports(data: Path, engine: str) -> list[Path]:
    """Every export for ``engine`` in the data directory (builds with different recipes make their own)."""
    from hfgate.local.generation.onnx_export import PRECISIONS

    precision = PRECISIONS[pinned_endpoint.ENGINES[engine]["engine"]]
    return sorted(data.glob(f"**/onnx-decoder/*-{precision}/model.onnx"))


def floor(model: Path, *, rows: int, steps: int, rounds: int, threads: int) -> None:
    import onnxruntime

    options = onnxruntime.SessionOptions()
    options.intra_op_num_threads, options.inter_op_num_threads = threads, 1
    session = onnxruntime.InferenceSession(str(model), options, providers=["CPUExecutionProvider"])
    loops = {"numpy feeds (KV cache copied)": _numpy_loop, "IOBinding, shared KV buffer": _bound_loop}
    times: dict[str, list[tuple[float, float]]] = {name: [] for name in loops}
    for loop in loops.values():
        loop(session, rows, 4)
    for _ in range(rounds):
        for name, loop in loops.items():
            times[name] += loop(session, rows, steps)
    print(f"\nfloor: ONNX Runtime alone, {model.parent.name}, {rows} row(s), {steps} greedy steps x {rounds} rounds")
    print("| ORT run per decode step | wall ms (median) | thread CPU ms | tokens/s at most |\n|---|---:|---:|---:|")
    for name, spans in times.items():
        wall, cpu = statistics.median(w for w, _ in spans) * 1000, statistics.median(c for _, c in spans) * 1000
        print(f"| {name} | {wall:.2f} | {cpu:.2f} | {rows * 1000 / wall:.1f} |")


def _names(session: Any) -> tuple[list[str], list[str]]:
    past = [i.name for i in session.get_inputs() if i.name.startswith("past_key_values.")]
    return past, [name.replace("past_key_values", "present") for name in past]


def _prompt_pass(session: Any, rows: int) -> tuple[Any, list[Any]]:
    import numpy as np

    past, present = _names(session)
    heads, size = session.get_inputs()[2].shape[1], 64
    ids = np.array([[1, 4093, 314, 253, 1345, 2384, 30, 7]] * rows, dtype=np.int64)
    empty = np.zeros((rows, heads, 0, size), dtype=np.float32)
    feed = {"input_ids": ids, "attention_mask": np.ones_like(ids), **dict.fromkeys(past, empty)}
    logits, *states = session.run(["logits", *present], feed)
    return logits, states


def _clocked(fn: Callable[[], Any]) -> tuple[float, float]:
    wall, cpu = time.perf_counter(), time.thread_time()
    fn()
    return time.perf_counter() - wall, time.thread_time() - cpu


def _numpy_loop(session: Any, rows: int, steps: int) -> list[tuple[float, float]]:
    import numpy as np

    past, present = _names(session)
    logits, states = _prompt_pass(session, rows)
    spans = []
    for _ in range(steps):
        width = states[0].shape[2] + 1
        token = logits[:, -1].argmax(axis=-1).astype(np.int64)[:, None]
        feed = {"input_ids": token, "attention_mask": np.ones((rows, width), np.int64)}
        feed |= dict(zip(past, states, strict=True))
        out: list[Any] = []
        spans.append(_clocked(lambda feed=feed, out=out: out.extend(session.run(["logits", *present], feed))))
        logits, states = out[0], out[1:]
    return spans


def _bound_loop(session: Any, rows: int, steps: int) -> list[tuple[float, float]]:
    import numpy as np
    import onnxruntime

    past, present = _names(session)
    logits, states = _prompt_pass(session, rows)
    length, capacity = states[0].shape[2], 256
    buffers = [np.zeros((*s.shape[:2], capacity, s.shape[3]), np.float32) for s in states]
    binding = session.io_binding()
    for name, out, buffer, state in zip(past, present, buffers, states, strict=True):
        buffer[:, :, :length] = state
        value = onnxruntime.OrtValue.ortvalue_from_numpy(buffer)
        binding.bind_ortvalue_input(name, value)
        binding.bind_ortvalue_output(out, value)
    token, mask, scores = np.zeros((rows, 1), np.int64), np.ones((rows, capacity), np.int64), logits[:, -1:].copy()
    binding.bind_input("input_ids", "cpu", 0, np.int64, [rows, 1], token.ctypes.data)
    binding.bind_output("logits", "cpu", 0, np.float32, list(scores.shape), scores.ctypes.data)
    spans = []
    for _ in range(steps):
        token[:, 0] = scores[:, -1].argmax(axis=-1)
        length += 1
        # All ones: the first rows x length of the buffer are a valid (rows, length) mask.
        binding.bind_input("attention_mask", "cpu", 0, np.int64, [rows, length], mask.ctypes.data)
        spans.append(_clocked(lambda: session.run_with_iobinding(binding)))
    return spans


def uptime() -> str:
    return subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--hfgate", action="append", default=[], metavar="NAME=SRC")
    parser.add_argument("--engine", choices=["onnx", "onnx-int8", "onnx-int4"], default="onnx-int4")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--requests", type=int, default=4)
    parser.add_argument("--streams", type=int, default=1, help="streams at once (8: the 8-stream case)")
    parser.add_argument("--new-tokens", type=int, default=64)
    parser.add_argument("--threads", type=int, default=0, help="the floor's intra-op threads (0: every core)")
    parser.add_argument("--floor-rows", default="1", help="the floor's batch sizes, e.g. 1,8 (one row per stream)")
    parser.add_argument("--no-llama-server", action="store_true")
    parser.add_argument("--data", type=Path, default=Path("/tmp/hfgate-decode-breakdown"))
    parser.add_argument("--serve", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--marks", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        serve(args.serve, args.marks)
        return
    args.data.mkdir(parents=True, exist_ok=True)
    print(f"{uptime()}\n{args.engine}, {args.new_tokens} new tokens, greedy, streamed /v1/completions", flush=True)
    with ExitStack() as stack:
        builds = dict(item.split("=", 1) for item in args.hfgate or ["hfgate=src"])
        systems = {
            name: stack.enter_context(hfgate(Path(src), data=args.data, engine=args.engine))
            for name, src in builds.items()
        }
        llama = None if args.no_llama_server else stack.enter_context(llama_server())
        if llama is not None:
            systems["llama-server Q4_1"] = llama
        results = asyncio.run(
            measure(systems, rounds=args.rounds, requests=args.requests, new=args.new_tokens, together=args.streams)
        )
    report(results)
    for model in _exports(args.data, args.engine):
        for rows in (int(n) for n in args.floor_rows.split(",")):
            floor(model, rows=rows, steps=args.new_tokens, rounds=args.rounds, threads=args.threads)
    print(uptime())


if __name__ == "__main__":
    main()

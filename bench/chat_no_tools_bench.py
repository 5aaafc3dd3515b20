"""What a chat request without tools costs in the code tool calling touched, before and after.

Times, per request, the pure-Python work of one OpenAI chat request without tools, as the face and the
``hugging_face`` service do it: reading the body (sampling fields, six messages, the tool fields),
building the ``ChatRequest``, the upstream's body (``chat_payload``), reading 32 streamed upstream
chunks (``parse_chat_chunk``) and writing 32 OpenAI chunks (``chat_chunk`` + orjson). Each source tree
runs in a process of its own, the two interleaved round by round; the figure is the median.

Usage (from a worktree, the baseline being another checkout's ``src``):
    flock /tmp/hfgate-bench.lock python bench/chat_no_tools_bench.py --baseline /work/main/src --rounds 7
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

BODY: dict[str, Any] = {
    "model": "m",
    "max_tokens": 64,
    "temperature": 0.7,
    "messages": [
        {"role": "system", "content": "You are a helpful assistant."},
        {"role": "user", "content": "What is the capital of France?"},
        {"role": "assistant", "content": "Paris."},
        {"role": "user", "content": "And of Italy?"},
        {"role": "assistant", "content": "Rome."},
        {"role": "user", "content": "And of Spain?"},
    ],
}
CHUNK = {"id": "c", "object": "chat.completion.chunk", "choices": [{"index": 0, "delta": {"content": " word"}}]}


def one_request() -> None:
    import orjson

    from hfgate.api.openai import requests as oai
    from hfgate.api.openai import shapes
    from hfgate.tasks import ChatRequest, GenerationDelta
    from hfgate.upstream.wire.chat import chat_payload, parse_chat_chunk

    params = oai.generation_params(BODY, chat=True)
    messages = oai.chat_messages(BODY)
    try:
        from hfgate.api.tools import tool_fields
    except ImportError:  # the baseline has no tools
        chat = ChatRequest(messages=messages, params=params, timeout=120.0)
    else:
        tools = tool_fields(BODY)
        chat = ChatRequest(
            messages=messages, params=params, timeout=120.0, tools=tools.tools,
            tool_choice=tools.tool_choice, parallel_tool_calls=tools.parallel_tool_calls,
        )  # fmt: skip
    orjson.dumps(chat_payload(model="m", messages=chat.messages, params=chat.params, settings={}, stream=True))
    has_tools = "tool_calls" in GenerationDelta.__slots__
    for _ in range(32):
        delta = parse_chat_chunk(CHUNK)
        if has_tools and delta.tool_calls:  # as the OpenAI face's stream loop checks (the baseline has none)
            continue
        orjson.dumps(shapes.chat_chunk(delta, chunk_id="c", model="m", created=0))


def worker(count: int) -> float:
    one_request()  # imports and warm-up
    start = time.perf_counter()
    for _ in range(count):
        one_request()
    return (time.perf_counter() - start) / count * 1e6


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--baseline", type=Path, required=True, help="the src directory to compare against")
    parser.add_argument("--candidate", type=Path, default=Path(__file__).resolve().parents[1] / "src")
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--requests", type=int, default=20000)
    parser.add_argument("--worker", type=int, default=0, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        print(worker(args.worker))
        return
    runs: dict[str, list[float]] = {"baseline": [], "candidate": []}
    for round_ in range(args.rounds):
        order = ["baseline", "candidate"] if round_ % 2 == 0 else ["candidate", "baseline"]
        for name in order:
            src = getattr(args, name)
            env = {**os.environ, "PYTHONPATH": str(src)}
            command = [sys.executable, __file__, "--baseline", str(args.baseline), "--worker", str(args.requests)]
            out = subprocess.run(command, env=env, capture_output=True, text=True, check=True).stdout
            runs[name].append(float(out))
    medians = {name: statistics.median(values) for name, values in runs.items()}
    print(json.dumps({"us_per_request": medians, "runs": runs,
                      "candidate/baseline": medians["candidate"] / medians["baseline"]}, indent=1))  # fmt: skip


if __name__ == "__main__":
    main()

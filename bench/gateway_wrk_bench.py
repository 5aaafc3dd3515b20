"""hfgate against the limit: the bare forwarder (bench/support/bare_forwarder.py) and LiteLLM's proxy, with `wrk`.

One fast TEI-shaped upstream (bench/support/fake_upstream.py; ``POST /`` TEI embed, ``/v1/embeddings``,
``/v1/chat/completions`` streamed or not, ``/info``) serves every system:

- ``direct``: the upstream itself, for the floor;
- ``forwarder``: the reference forwarder, OpenAI and Elasticsearch faces;
- ``floor``: uvicorn + a bare ASGI app making the same aiohttp upstream call (bench/support/asgi_floor.py): what
  hfgate's server stack costs before any of hfgate's work, with uvicorn's HTTP protocol and with
  hfgate's (the response in one write);
- ``hfgate``: ``hfgate serve`` with gateway keys (``HFGATE_API_KEYS``), the Redis limiter
  (``HFGATE_REDIS_URL``), metrics and the access log on (level info, JSON lines to a file) — the
  configuration users run — with ``--workers 1`` (OpenAI, Elasticsearch and HF faces) and ``--workers 2``;
  and once without Redis (limits in the process), to measure what the Redis admission adds;
- ``litellm``: LiteLLM's proxy (``openai/`` provider on the upstream's ``/v1``), when its venv exists.

Load: ``wrk`` (Debian's) with a Lua script for the POST body, 1-input embeddings: requests/s at
c=32 and the serving process tree's CPU per request (``/proc/<pid>/stat``, user + system, workers
included), p50 and CPU at c=1 (bench/support/wrk_load.py). Streaming chat: time to the first ``data:`` event
at c=1 (aiohttp client).
Systems are interleaved within each round and medians over rounds are reported, with the CPU model
and the load average, since the machine may be shared.

Run: ``.venv/bin/python bench/gateway_wrk_bench.py [--rounds 3] [--seconds 5]``
LiteLLM, in its own venv (never the project's):
``python3 -m venv /tmp/litellm-venv && /tmp/litellm-venv/bin/pip install 'litellm[proxy]'``,
then ``--litellm /tmp/litellm-venv/bin/litellm`` (default: that path when it exists).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import aiohttp

from support.gateway import cpu_seconds, free_port, wait_up
from support.wrk_load import lua_script, wrk

HERE = Path(__file__).resolve().parent
SUPPORT = HERE / "support"
SRC = HERE.parent / "src"
KEY = "sk-bench"
REDIS_URL = os.environ.get("HFGATE_BENCH_REDIS_URL", "redis://127.0.0.1:6379/0")
TEXT = "a short sentence to embed"
LITELLM_CONFIG = """
model_list:
  - model_name: bench
    litellm_params: {{model: openai/bench, api_base: "{base}v1", api_key: upstream}}
  - model_name: chat
    litellm_params: {{model: openai/chat, api_base: "{base}v1", api_key: upstream}}
general_settings: {{master_key: {key}}}
"""


@dataclass
class Target:
    """One system and face: where to POST which body, and whose CPU to read."""

    name: str
    url: str
    body: dict[str, object]
    pid: int | None
    chat_url: str | None = None
    rate: list[float] = field(default_factory=list)
    cpu: list[float] = field(default_factory=list)
    cpu1: list[float] = field(default_factory=list)
    p50: list[float] = field(default_factory=list)
    ttft: list[float] = field(default_factory=list)
    failed: int = 0


def tree_cpu(pid: int) -> float:
    """CPU seconds of ``pid`` and its children (uvicorn's workers, LiteLLM's server)."""
    total = cpu_seconds(pid)
    for task in Path(f"/proc/{pid}/task").iterdir():
        for child in (task / "children").read_text().split():
            total += tree_cpu(int(child))
    return total


def spawn(args: list[str], *, env: dict[str, str] | None = None, log: Path | None = None) -> subprocess.Popen[bytes]:
    out = open(log, "ab") if log else subprocess.DEVNULL  # noqa: SIM115 - lives as long as the process
    return subprocess.Popen(args, env=env, stdout=out, stderr=out)


def hfgate(workers: int, *, data_dir: Path, src: Path = SRC, redis: bool = True) -> tuple[str, subprocess.Popen[bytes]]:
    port = free_port()
    env = os.environ | {
        "PYTHONPATH": str(src),
        "HFGATE_DATA_DIR": str(data_dir / f"hfgate-{workers}-{port}"),
        "HFGATE_PROVISION_DEFAULTS": "false",
        "HFGATE_LOG_LEVEL": "info",
        "HFGATE_API_KEYS": KEY,
        "HFGATE_REDIS_URL": REDIS_URL,
        "HFGATE_REDIS_PREFIX": f"hfgate-bench-{uuid.uuid4().hex[:8]}:",
        "HF_HUB_OFFLINE": "1",
    }
    if not redis:
        del env["HFGATE_REDIS_URL"]
    args = [sys.executable, "-m", "hfgate.cli", "serve", "--port", str(port), "--no-preload", "--workers", str(workers)]
    return f"http://127.0.0.1:{port}", spawn(args, env=env, log=data_dir / f"hfgate-{workers}-{port}.log")


async def create_endpoints(session: aiohttp.ClientSession, base: str, upstream: str) -> None:
    settings = {"url": upstream, "api_key": "hf_bench", "rate_limit": {"requests_per_minute": 100_000_000}}
    auth = {"Authorization": f"Bearer {KEY}"}
    # The fake's /info says TEI; its chat route is TGI's Messages API, so the chat endpoint names its engine
    # (a tree from before engine detection knows no such setting: it is asked again without it).
    for path, extra in (("text_embedding/bench", {}), ("chat_completion/chat", {"engine": "tgi"})):
        for given in (settings | extra, settings):
            body = {"service": "hugging_face", "service_settings": given}
            async with session.put(f"{base}/_inference/{path}", json=body, headers=auth) as response:
                if response.status == 200:
                    break
                failure = await response.text()
        else:
            raise RuntimeError(f"{base}: {failure}")


async def time_to_first_token(session: aiohttp.ClientSession, url: str, *, requests: int) -> float:
    """Median time from sending a streamed chat request to its first ``data:`` line."""
    body = {"model": "chat", "messages": [{"role": "user", "content": "Say hello."}], "stream": True}
    headers = {"Authorization": f"Bearer {KEY}"}
    times = []
    for _ in range(requests):
        started = time.perf_counter()
        async with session.post(url, json=body, headers=headers) as response:
            async for line in response.content:
                if line.startswith(b"data:"):
                    times.append(time.perf_counter() - started)
                    break
            await response.read()
    return statistics.median(times)


def measure(target: Target, script: Path, *, seconds: float) -> None:
    """One round on ``target``; a round with failed requests is left out (and counted) rather than stopping all."""
    pid = target.pid
    try:
        before = tree_cpu(pid) if pid else 0.0
        rate, done, _ = wrk(target.url, script, connections=32, seconds=seconds, key=KEY)
        cpu = (tree_cpu(pid) - before) / done if pid else None
        before = tree_cpu(pid) if pid else 0.0
        _, done1, p50 = wrk(target.url, script, connections=1, seconds=seconds / 2, key=KEY)
        cpu1 = (tree_cpu(pid) - before) / done1 if pid and done1 else None
    except (RuntimeError, AttributeError) as exc:
        target.failed += 1
        print(f"{target.name}: round left out: {str(exc)[:300]}", file=sys.stderr)
        return
    target.rate.append(rate)
    target.p50.append(p50)
    if cpu is not None:
        target.cpu.append(cpu)
    if cpu1 is not None:
        target.cpu1.append(cpu1)


def cpu_model() -> str:
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            return line.split(":", 1)[1].strip()
    return "unknown CPU"


def load() -> str:
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


def report(targets: list[Target], *, rounds: int, seconds: float, loads: list[str]) -> None:
    durations = f"wrk -t1 {seconds:g} s at c=32, {max(1, round(seconds / 2))} s at c=1"
    print(f"{cpu_model()}, {os.cpu_count()} vCPUs; rounds={rounds}, {durations}")
    print(f"load average (1, 5, 15 min) before each round: {' | '.join(loads)}")
    direct = next(t for t in targets if t.name == "direct (upstream)")
    forwarders = {face: next(t for t in targets if t.name == f"forwarder, {face} face") for face in ("OpenAI", "ES")}
    floor = statistics.median(direct.p50)
    columns = "req/s, c=32 | × forwarder | CPU per request, c=32 | CPU per request, c=1 | p50, c=1 | added p50"
    print(f"| system | {columns} | streamed chat TTFT |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|")
    for t in targets:
        if not t.rate:
            print(f"| {t.name} | every round failed |")
            continue
        rate, p50 = statistics.median(t.rate), statistics.median(t.p50)
        reference = statistics.median(forwarders["ES" if "ES face" in t.name else "OpenAI"].rate)
        cpu = f"{statistics.median(t.cpu) * 1e3:.3f} ms" if t.cpu else "—"
        cpu1 = f"{statistics.median(t.cpu1) * 1e3:.3f} ms" if t.cpu1 else "—"
        ttft = f"{statistics.median(t.ttft) * 1e3:.3f} ms" if t.ttft else ""
        print(
            f"| {t.name} | {rate:,.0f} | {rate / reference:.2f} | {cpu} | {cpu1} | {p50 * 1e3:.3f} ms "
            f"| {(p50 - floor) * 1e3:+.3f} ms | {ttft} |" + (f" ({t.failed} round(s) failed)" if t.failed else "")
        )


async def bench(
    *, rounds: int, seconds: float, litellm: Path | None, ttft_requests: int, baseline: Path | None
) -> None:
    work = Path(tempfile.mkdtemp(prefix="hfgate-wrk-bench-"))
    up_port, fwd_port = free_port(), free_port()
    upstream = f"http://127.0.0.1:{up_port}/"
    processes = [spawn([sys.executable, str(SUPPORT / "fake_upstream.py"), str(up_port)], log=work / "upstream.log")]
    processes.append(spawn([sys.executable, str(SUPPORT / "bare_forwarder.py"), str(fwd_port), upstream, KEY]))
    fwd = f"http://127.0.0.1:{fwd_port}"
    floors = {}
    for flag in ("", "--one-write"):
        port = free_port()
        args = [
            sys.executable,
            str(SUPPORT / "asgi_floor.py"),
            str(port),
            upstream,
            KEY,
            *([flag] if flag else []),
        ]
        floors[flag] = (f"http://127.0.0.1:{port}", spawn(args, env=os.environ | {"PYTHONPATH": str(SRC)}))
    processes += [p for _, p in floors.values()]
    gates = {w: hfgate(w, data_dir=work) for w in (1, 2)}
    gates[-1] = hfgate(1, data_dir=work, redis=False)
    if baseline is not None:
        gates[0] = hfgate(1, data_dir=work, src=baseline)
    processes += [p for _, p in gates.values()]
    lite_url = None
    if litellm is not None:
        lite_port = free_port()
        (work / "litellm.yaml").write_text(LITELLM_CONFIG.format(base=upstream, key=KEY))
        args = [str(litellm), "--config", str(work / "litellm.yaml"), "--port", str(lite_port)]
        lite = spawn(args, env=os.environ | {"LITELLM_LOCAL_MODEL_COST_MAP": "True"}, log=work / "litellm.log")
        processes.append(lite)
        lite_url = f"http://127.0.0.1:{lite_port}"
    openai_body: dict[str, object] = {"model": "bench", "input": [TEXT]}
    es_body: dict[str, object] = {"input": [TEXT]}
    (g1, p1), (g2, p2) = gates[1], gates[2]
    chat = "/v1/chat/completions"
    targets = [
        Target("direct (upstream)", upstream, {"inputs": [TEXT]}, processes[0].pid, chat_url=upstream + chat[1:]),
        Target("forwarder, OpenAI face", f"{fwd}/v1/embeddings", openai_body, processes[1].pid, chat_url=fwd + chat),
        Target("forwarder, ES face", f"{fwd}/_inference/text_embedding/bench", es_body, processes[1].pid),
        Target(
            "floor: uvicorn + bare ASGI, OpenAI face",
            f"{floors[''][0]}/v1/embeddings",
            openai_body,
            floors[""][1].pid,
            chat_url=floors[""][0] + chat,
        ),
        Target(
            "floor, one write per response, OpenAI face",
            f"{floors['--one-write'][0]}/v1/embeddings",
            openai_body,
            floors["--one-write"][1].pid,
        ),
        Target("hfgate, OpenAI face", f"{g1}/v1/embeddings", openai_body, p1.pid, chat_url=g1 + chat),
        Target("hfgate, ES face", f"{g1}/_inference/text_embedding/bench", es_body, p1.pid),
        Target("hfgate, HF face", f"{g1}/hf/bench/embed", {"inputs": [TEXT]}, p1.pid),
        Target("hfgate --workers 2, OpenAI face", f"{g2}/v1/embeddings", openai_body, p2.pid),
        Target(
            "hfgate without Redis (limits in process), OpenAI face",
            f"{gates[-1][0]}/v1/embeddings",
            openai_body,
            gates[-1][1].pid,
            chat_url=gates[-1][0] + chat,
        ),
    ]
    if baseline is not None:
        (g0, p0) = gates[0]
        targets.append(Target(f"hfgate from {baseline}, OpenAI face", f"{g0}/v1/embeddings", openai_body, p0.pid))
        targets.append(
            Target(f"hfgate from {baseline}, ES face", f"{g0}/_inference/text_embedding/bench", es_body, p0.pid)
        )
    if lite_url:
        name, url = "LiteLLM proxy, OpenAI face", f"{lite_url}/v1/embeddings"
        targets.append(Target(name, url, openai_body, processes[-1].pid, chat_url=lite_url + chat))
    try:
        async with aiohttp.ClientSession() as session:
            await wait_up(session, f"{upstream}info")
            await wait_up(session, f"{fwd}/health")
            for base, _ in floors.values():
                await wait_up(session, f"{base}/health")
            for base, _ in gates.values():
                await wait_up(session, f"{base}/health")
                await create_endpoints(session, base, upstream)
            if lite_url:
                await wait_up(session, f"{lite_url}/health/liveliness")
            scripts = {t.name: lua_script(t.name, t.body, key=KEY, directory=work) for t in targets}
            for t in targets:  # warm up every path
                wrk(t.url, scripts[t.name], connections=8, seconds=1, key=KEY)
            loads = []
            for _ in range(rounds):
                loads.append(load())
                for t in targets:
                    measure(t, scripts[t.name], seconds=seconds)
                    if t.chat_url:
                        try:
                            t.ttft.append(await time_to_first_token(session, t.chat_url, requests=ttft_requests))
                        except (aiohttp.ClientError, TimeoutError) as exc:
                            print(f"{t.name}: time to first token left out: {exc}", file=sys.stderr)
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            process.wait(15)
    report(targets, rounds=rounds, seconds=seconds, loads=loads)
    print(f"logs: {work}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--seconds", type=float, default=5.0, help="wrk duration at c=32 (half that at c=1)")
    parser.add_argument("--ttft-requests", type=int, default=100)
    default_litellm = Path("/tmp/litellm-venv/bin/litellm")
    parser.add_argument("--litellm", type=Path, default=default_litellm if default_litellm.exists() else None)
    parser.add_argument("--baseline", type=Path, help="another hfgate source tree (its src/) to measure alongside")
    args = parser.parse_args()
    options = {"litellm": args.litellm, "ttft_requests": args.ttft_requests, "baseline": args.baseline}
    asyncio.run(bench(rounds=args.rounds, seconds=args.seconds, **options))


if __name__ == "__main__":
    main()

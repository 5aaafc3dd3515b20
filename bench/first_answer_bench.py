"""A new user's first answers: from ``hfgate serve`` to the first embedding and the first chat answer.

Simulates a first start on a CPU hfgate has never seen: a fresh data directory (no ONNX exports, no
converted GGUF) and a fresh, empty ``HFGATE_LOCAL_ENGINE_CHOICES_DIR`` (no recorded engine choice).
``hfgate serve`` runs in a process of its own, as ``make run`` starts it (preloading the defaults). The
server listens when its port accepts a connection; then ``GET /health``, the README's first curl (an
embedding of ``.all-minilm-l6-v2``) and a chat to ``.smollm2-135m-instruct`` are sent one after the
other, as a user would. Each answer is timed twice: from the process's launch (what a user waits, issue
#84's measure) and from the moment the server listens. With ``--until-switched`` it then polls
``GET /_inference`` until neither default says ``measuring`` any more, and reports when each switched,
sending an embedding and a chat every second meanwhile (any failure is reported).

Targets (issue #84): a first answer (the embedding) ≤ 2 s after launch, the first chat ≤ 3 s.

Run: ``flock /tmp/hfgate-bench.lock .venv/bin/python bench/first_answer_bench.py [--until-switched]``
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx

EMBED = ("/_inference/text_embedding/.all-minilm-l6-v2", {"input": ["hello world"]})
CHAT = (
    "/v1/chat/completions",
    {"model": ".smollm2-135m-instruct", "messages": [{"role": "user", "content": "Say hello."}], "max_tokens": 16},
)
DEFAULTS = (".all-minilm-l6-v2", ".smollm2-135m-instruct")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def wait_listening(port: int, server: subprocess.Popen[bytes]) -> None:
    while server.poll() is None:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return
        except OSError:
            time.sleep(0.02)
    raise SystemExit(f"hfgate serve exited with {server.returncode} before listening")


def timed(
    http: httpx.Client, call: tuple[str, dict[str, Any]] | str, *, launched: float, listening: float
) -> dict[str, Any]:
    """One request (a POST ``(path, body)``, or a GET of a path), its status and when it was answered."""
    response = http.get(call) if isinstance(call, str) else http.post(call[0], json=call[1])
    done = time.perf_counter()
    return {
        "status": response.status_code,
        "seconds_after_launch": round(done - launched, 2),
        "seconds_after_listening": round(done - listening, 2),
    }


def choices(http: httpx.Client) -> dict[str, str]:
    endpoints = http.get("/_inference").json()["endpoints"]
    return {e["inference_id"]: e["service_settings"].get("engine_choice", "") for e in endpoints}


def until_switched(http: httpx.Client, since: float) -> dict[str, Any]:
    """Poll until no default is measuring, with an embedding and a chat each second; when each switched."""
    switched: dict[str, float] = {}
    failures: list[str] = []
    requests = 0
    while len(switched) < len(DEFAULTS):
        for call in (EMBED, CHAT):
            requests += 1
            status = http.post(call[0], json=call[1]).status_code
            if status != 200:
                failures.append(f"{call[0]}: {status}")
        for inference_id, choice in choices(http).items():
            if inference_id in DEFAULTS and not choice.startswith("measuring") and inference_id not in switched:
                switched[inference_id] = round(time.perf_counter() - since, 1)
        time.sleep(1)
    return {"switched_after_listening": switched, "requests_meanwhile": requests, "failures": failures}


def cpu() -> dict[str, str]:
    info = {"platform": platform.platform(), "cores": str(os.cpu_count())}
    try:
        lines = subprocess.run(["lscpu"], capture_output=True, text=True, check=True).stdout.splitlines()
    except (OSError, subprocess.CalledProcessError):
        return info
    for line in lines:
        key, _, value = line.partition(":")
        if key.strip() in {"Model name", "Flags"}:
            info[key.strip()] = value.strip()
    return info


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--until-switched", action="store_true", help="also wait for both engine switches")
    args = parser.parse_args()
    port = free_port()
    with tempfile.TemporaryDirectory(prefix="hfgate-first-") as scratch:
        env = {
            **os.environ,
            "HFGATE_DATA_DIR": f"{scratch}/data",
            "HFGATE_LOCAL_ENGINE_CHOICES_DIR": f"{scratch}/choices",
            "HF_HUB_OFFLINE": "1",
        }
        command = [str(Path(sys.executable).parent / "hfgate"), "serve", "--port", str(port)]
        load_before = os.getloadavg()
        started = time.perf_counter()
        server = subprocess.Popen(command, env=env)
        try:
            wait_listening(port, server)
            listening = time.perf_counter()
            report: dict[str, Any] = {"listening_after_launch": round(listening - started, 2)}
            with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=600) as http:
                for name, call in (("health", "/health"), ("first_embedding", EMBED), ("first_chat", CHAT)):
                    report[name] = timed(http, call, launched=started, listening=listening)
                report["engine_choice_then"] = choices(http)
                if args.until_switched:
                    report |= until_switched(http, listening)
                    report["engine_choice_after"] = choices(http)
        finally:
            server.terminate()
            server.wait(timeout=60)
    report |= {"load_before": load_before, "load_after": os.getloadavg(), "cpu": cpu()}
    print(json.dumps(report, indent=1))


if __name__ == "__main__":
    main()

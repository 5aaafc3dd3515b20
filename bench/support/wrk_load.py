"""Driving Debian's ``wrk`` for bench/gateway_wrk_bench.py: a Lua script per POST body, and its figures."""

from __future__ import annotations

import re
import subprocess
import urllib.error
import urllib.request
from pathlib import Path

import orjson


def lua_script(name: str, body: object, *, key: str, directory: Path) -> Path:
    path = directory / f"{re.sub(r'[^a-z0-9]+', '-', name.lower())}.lua"
    path.write_text(
        'wrk.method = "POST"\n'
        f"wrk.body = [[{orjson.dumps(body).decode()}]]\n"
        'wrk.headers["Content-Type"] = "application/json"\n'
        f'wrk.headers["Authorization"] = "Bearer {key}"\n'
    )
    return path


def one_answer(url: str, script: Path, *, key: str) -> str:
    """One request as the script sends it, for the error message."""
    body = re.search(r"\[\[(.*)\]\]", script.read_text()).group(1)  # type: ignore[union-attr]
    headers = {"Content-Type": "application/json", "Authorization": f"Bearer {key}"}
    try:
        with urllib.request.urlopen(urllib.request.Request(url, body.encode(), headers)) as answer:
            return f"{answer.status} {answer.read()[:300]!r}"
    except urllib.error.HTTPError as exc:
        return f"{exc.code} {exc.read()[:1000]!r}"


UNITS = {"us": 1e-6, "ms": 1e-3, "s": 1.0}


def wrk(url: str, script: Path, *, connections: int, seconds: float, key: str) -> tuple[float, int, float]:
    """requests/s, requests completed and p50 (s) of one wrk run; non-2xx answers are an error."""
    args = [
        "wrk",
        "-t1",
        "--timeout",
        "30s",
        f"-c{connections}",
        f"-d{max(1, round(seconds))}s",
        "--latency",
        "-s",
        str(script),
        url,
    ]
    out = subprocess.run(args, capture_output=True, text=True, check=True).stdout
    if "Non-2xx" in out or "Socket errors" in out:
        raise RuntimeError(f"wrk against {url}:\n{out}\none answer: {one_answer(url, script, key=key)}")
    rate = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))  # type: ignore[union-attr]
    done = int(re.search(r"(\d+) requests in", out).group(1))  # type: ignore[union-attr]
    value, unit = re.search(r"\s50%\s+([\d.]+)(us|ms|s)", out).groups()  # type: ignore[union-attr]
    return rate, done, float(value) * UNITS[unit]

"""Waiting until a fresh hfgate has chosen its engines, so that a benchmark times the engine it keeps.

With ``engine: auto`` and no recorded choice for this CPU, hfgate serves on the exact default engine
while it measures the candidates in a child process, then switches (docs/engine-switch.md). A benchmark
started meanwhile would time the default engine beside a measurement that takes the cores.
"""

from __future__ import annotations

import subprocess
import time

import httpx

DEFAULTS = (".all-minilm-l6-v2", ".smollm2-135m-instruct")


def choices(url: str) -> dict[str, str]:
    """Each endpoint's ``engine_choice`` on hfgate at ``url`` (e.g. ``onnx (measured)``; empty if none)."""
    endpoints = httpx.get(url + "/_inference", timeout=30).json()["endpoints"]
    return {e["inference_id"]: e["service_settings"].get("engine_choice", "") for e in endpoints}


def unsettled(url: str, inference_ids: tuple[str, ...]) -> list[str]:
    """Those of ``inference_ids`` on hfgate at ``url`` not yet loaded on their chosen engine."""
    choice = choices(url)
    return [i for i in inference_ids if not choice.get(i) or choice[i].startswith("measuring")]


def wait_settled(url: str, *, inference_ids: tuple[str, ...] = DEFAULTS, seconds: float = 1800) -> None:
    """Return once each of ``inference_ids`` (the default endpoints, which hfgate preloads) serves on
    its chosen engine.

    Raises:
        SystemExit: still loading or measuring after ``seconds``.
    """
    deadline = time.monotonic() + seconds
    while still := unsettled(url, inference_ids):
        if time.monotonic() > deadline:
            raise SystemExit(f"{url}: {', '.join(still)} not on a chosen engine after {seconds:.0f} s")
        time.sleep(5)


def wait_up(url: str, process: subprocess.Popen[bytes], seconds: float = 1800) -> None:
    """Until ``url`` answers 200; a server ``process`` that exits first, or ``seconds`` passing, ends the run."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"the server for {url} exited ({process.returncode})")
        try:
            if httpx.get(url, timeout=2).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(1)
    raise SystemExit(f"{url} did not come up")

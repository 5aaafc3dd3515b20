"""CPU that gateway keys add to each request: the key look-up, the role guard, the limiter, usage.

One process, no network: a real registry (SQLite in a temp dir), a real ``AccessControl`` and the real
``GatewayKeys`` (what the gateway layer runs to find the caller) before an ASGI app that does nothing.
Each case runs ``--requests`` calls through them (and, for keys, the route guard, the per-key limiter
and the usage tally) and reports CPU time per request (``time.process_time``), median of ``--rounds``;
the open gateway (no key configured anywhere) is the baseline, and "added" is what keys cost on top of it.

Cases: a bootstrap key (``HFGATE_API_KEYS``), an API key from the registry (cached after its first use,
as every request after the first in a process), and that key with per-key limits on (local limiter).

Run: ``.venv/bin/python bench/key_lookup_bench.py [--rounds 7] [--requests 20000]``; target: added
CPU <= 0.05 ms per request.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import platform
import statistics
import tempfile
import time
from pathlib import Path
from types import SimpleNamespace
from typing import Any

from hfgate.access.control import AccessControl
from hfgate.access.key_body import parse_key_request
from hfgate.access.principal import CURRENT
from hfgate.access.roles import Role
from hfgate.api.middleware import GatewayKeys
from hfgate.api.route_roles import check
from hfgate.api.ui.session import SessionSigner
from hfgate.config import Settings
from hfgate.errors import HfGateError
from hfgate.fleet.changes import LocalChanges
from hfgate.registry.database import make_engine
from hfgate.registry.migrations import migrate


async def _inner(scope: dict[str, Any], receive: Any, send: Any) -> None:
    await check(scope, Role.INFER)  # what the route's guard does
    access: AccessControl = scope["state"]["access"]
    principal = scope["state"].get("principal")
    access.usage.record(key_id=principal.key_id if principal else "-", inference_id="e", task_type="text_embedding",
                        status=200, input_tokens=4, output_tokens=0, latency_ms=1.0)  # fmt: skip


class Identified:
    """What the gateway layer does with keys: find the caller, set it for the request, run the app."""

    def __init__(self, keys: GatewayKeys) -> None:
        self.keys = keys

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        state = scope.setdefault("state", {})
        try:
            principal = await self.keys.identify(scope, state)
        except HfGateError as error:
            raise AssertionError(f"refused: {error.reason}") from None
        token = CURRENT.set(principal) if state.get("gated") else None
        try:
            await _inner(scope, receive, send)
        finally:
            if token is not None:
                CURRENT.reset(token)


class Gateway:
    """The keys' part of the gateway layer, the app state it reads, and the keys made for it."""

    def __init__(self, middleware: Identified, state: SimpleNamespace, tokens: dict[str, str]) -> None:
        self.middleware, self.state, self.tokens = middleware, state, tokens


async def _build(data_dir: Path, *, bootstrap: list[str], with_keys: bool) -> Gateway:
    settings = Settings(data_dir=data_dir, api_keys=bootstrap, registry_cache_seconds=1.0)  # type: ignore[arg-type]
    engine = make_engine(settings)
    migrate(engine)
    access = AccessControl.build(settings, engine=engine, changes=LocalChanges(), redis=None, session_key=b"k" * 32)
    state = SimpleNamespace(access=access, sessions=SessionSigner(b"k" * 32))
    middleware = Identified(GatewayKeys())
    tokens = {"bootstrap": bootstrap[0]} if bootstrap else {}
    limits = {"requests_per_minute": 10**9, "tokens_per_minute": 10**12}
    for name, given in (("plain", {}), ("limited", limits)) if with_keys else ():
        body = {"name": name, "roles": ["infer"], "endpoints": ["e*"], "limits": given}
        issued, _ = await access.create_key(parse_key_request(body))
        tokens[name] = issued.encoded
    return Gateway(middleware, state, tokens)


def _scope(app_state: Any, token: str | None) -> dict[str, Any]:
    headers = [(b"content-type", b"application/json")]
    if token is not None:
        headers.append((b"authorization", f"ApiKey {token}".encode()))
    return {"type": "http", "method": "POST", "path": "/v1/embeddings", "headers": headers,
            "app": SimpleNamespace(state=app_state), "path_params": {}}  # fmt: skip


async def _cpu_per_request(gateway: Gateway, token: str | None, *, requests: int) -> float:
    call = gateway.middleware
    await call(_scope(gateway.state, token), None, None)  # type: ignore[arg-type]  # warm: scrypt once
    started = time.process_time()
    for _ in range(requests):
        await call(_scope(gateway.state, token), None, None)  # type: ignore[arg-type]
    return (time.process_time() - started) / requests * 1000


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--requests", type=int, default=20_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as open_dir, tempfile.TemporaryDirectory() as keyed_dir:
        open_gateway = await _build(Path(open_dir), bootstrap=[], with_keys=False)
        keyed = await _build(Path(keyed_dir), bootstrap=["boot-key"], with_keys=True)
        cases = {"open (baseline)": (open_gateway, None), "bootstrap key": (keyed, keyed.tokens["bootstrap"]),
                 "registry key": (keyed, keyed.tokens["plain"]),
                 "registry key + limits": (keyed, keyed.tokens["limited"])}  # fmt: skip
        results: dict[str, list[float]] = {name: [] for name in cases}
        for _ in range(args.rounds):  # interleaved, so that other load hits every case alike
            for name, (gateway, token) in cases.items():
                results[name].append(await _cpu_per_request(gateway, token, requests=args.requests))
    _report(results, args=args)


def _report(results: dict[str, list[float]], *, args: argparse.Namespace) -> None:
    load = os.getloadavg()
    print(f"cpu: {_cpu_model()} · load {load[0]:.2f} {load[1]:.2f} {load[2]:.2f} · python {platform.python_version()}")
    print(f"{args.rounds} rounds × {args.requests} requests, CPU ms per request (median of rounds)")
    base = statistics.median(results["open (baseline)"])
    for name, values in results.items():
        median = statistics.median(values)
        print(f"  {name:24s} {median:.4f} ms   added {median - base:+.4f} ms")


def _cpu_model() -> str:
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            return line.split(":", 1)[1].strip()
    return platform.processor() or "unknown"


if __name__ == "__main__":
    asyncio.run(main())

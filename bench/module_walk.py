"""Which of hfgate's modules one warm request passes through (issue #53's "walk").

Serves an app in-process (a fresh data directory, the packaged MiniLM on the torch engine and SmolLM2 on
transformers, the embedding cache on, endpoint reads kept in memory for a minute), warms both endpoints, then
records every hfgate function called (``sys.setprofile`` and
``threading.setprofile``, so the compute thread counts too) during one

- ``POST /_inference/text_embedding/mini`` and
- ``POST /v1/chat/completions`` to ``llm`` (one token),

and prints each walk's modules and packages (with ``--functions``, the functions called in each module).

    .venv/bin/python bench/module_walk.py [--json] [--functions]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import tempfile
import threading
from collections.abc import Awaitable, Callable
from pathlib import Path
from types import FrameType
from typing import Any

import httpx

from hfgate.api.app import create_app
from hfgate.config import Settings

SRC = str(Path(__file__).resolve().parents[1] / "src" / "hfgate")
CHAT = {"model": "llm", "messages": [{"role": "user", "content": "Hi"}], "max_tokens": 1}


def module_of(filename: str) -> str | None:
    if not filename.startswith(SRC):
        return None
    relative = Path(filename).relative_to(Path(SRC).parent).with_suffix("")
    return ".".join(relative.parts).removesuffix(".__init__")


async def walk(request: Callable[[], Awaitable[httpx.Response]]) -> dict[str, list[str]]:
    seen: dict[str, set[str]] = {}

    def profile(frame: FrameType, event: str, arg: Any) -> None:
        if event == "call" and (module := module_of(frame.f_code.co_filename)) is not None:
            seen.setdefault(module, set()).add(frame.f_code.co_qualname)

    threading.setprofile(profile)
    sys.setprofile(profile)
    try:
        response = await request()
    finally:
        sys.setprofile(None)
        threading.setprofile(None)  # type: ignore[arg-type]
    response.raise_for_status()
    return {module: sorted(seen[module]) for module in sorted(seen)}


async def walks() -> dict[str, dict[str, list[str]]]:
    """Each request's walk: the modules it passes, with the functions it calls in each."""
    with tempfile.TemporaryDirectory() as data:
        settings = Settings(
            data_dir=Path(data), log_level="warning", provision_defaults=False, embed_cache=True,
            registry_cache_seconds=60,  # the endpoint's read still in memory after the warm-up's model load
            batch_runner=False,  # its poll, on the same loop, would be walked whenever a request took a second
        )  # fmt: skip
        app = create_app(settings)
        async with (
            app.router.lifespan_context(app),
            httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://hfgate", timeout=600) as http,
        ):
            for task, name, settings in (
                ("text_embedding", "mini", {"model": "all-MiniLM-L6-v2", "engine": "torch"}),
                ("chat_completion", "llm", {"model": "HuggingFaceTB/SmolLM2-135M-Instruct", "engine": "transformers"}),
            ):
                body = {"service": "local", "service_settings": settings}
                (await http.put(f"/_inference/{task}/{name}", json=body)).raise_for_status()

            def embed() -> Awaitable[httpx.Response]:
                return http.post("/_inference/text_embedding/mini", json={"input": ["A warm request."]})

            def chat() -> Awaitable[httpx.Response]:
                return http.post("/v1/chat/completions", json=CHAT)

            walked = {}
            requests = (("POST /_inference/text_embedding/mini", embed), ("POST /v1/chat/completions", chat))
            for label, request in requests:
                (await request()).raise_for_status()  # warm
                walked[label] = await walk(request)
    return walked


async def main(as_json: bool, functions: bool) -> None:
    walks_ = await walks()
    if as_json:
        print(json.dumps(walks_ if functions else {label: list(m) for label, m in walks_.items()}, indent=1))
        return
    for label, modules in walks_.items():
        packages = sorted({".".join(m.split(".")[:2]) for m in modules})
        print(f"{label}: {len(modules)} modules in {len(packages)} packages")
        for module, called in modules.items():
            print(f"  {module}" + (f": {', '.join(called)}" if functions else ""))


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", action="store_true", help="the walks as JSON")
    parser.add_argument("--functions", action="store_true", help="the functions called in each module")
    arguments = parser.parse_args()
    asyncio.run(main(arguments.json, arguments.functions))

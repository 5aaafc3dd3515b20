"""A SmolLM2 endpoint on one named engine, for benchmarks that must not depend on ``engine: auto``.

The default endpoint ``.smollm2-135m-instruct`` runs ``engine: auto``: on a CPU with no recorded choice
it measures the candidates in a child process for minutes, then switches engine. A benchmark that
compares hfgate builds (or engines) needs every server on the same engine from its first request:
``hfgate serve --no-preload`` (nothing loaded, nothing measured) and this endpoint, created by PUT.
"""

from __future__ import annotations

import httpx

ENGINES = {  # the name a benchmark takes (engine: auto's names) -> the endpoint's service settings
    "transformers-fp32": {"engine": "transformers", "dtype": "float32"},
    "onnx": {"engine": "onnx"},
    "onnx-int8": {"engine": "onnx-int8"},
    "onnx-int4": {"engine": "onnx-int4"},
}


def inference_id(engine: str) -> str:
    """The endpoint's name for ``engine`` (one per engine: several may share a data directory)."""
    return f"bench-smollm2-{engine}"


def create(url: str, engine: str) -> str:
    """Create (or keep) the endpoint on hfgate at ``url``, loaded on ``engine``; its inference id."""
    settings = {"model": "HuggingFaceTB/SmolLM2-135M-Instruct", "task": "text-generation", **ENGINES[engine]}
    body = {"service": "local", "service_settings": settings, "task_settings": {"max_new_tokens": 256}}
    where = f"{url}/_inference/completion/{inference_id(engine)}"
    if httpx.get(where, timeout=30).status_code == 404:  # else created earlier in this data directory
        httpx.put(where, json=body, timeout=1800).raise_for_status()
    return inference_id(engine)

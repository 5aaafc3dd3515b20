"""A SmolLM2 endpoint on one named engine, for benchmarks that must not depend on ``engine: auto``.

The default endpoint ``.smollm2-135m-instruct`` runs ``engine: auto``: on a CPU with no recorded choice
it measures the candidates in a child process for minutes, then switches engine. A benchmark that
compares hfgate builds (or engines) needs every server on the same engine from its first request:
``hfgate serve --no-preload`` (nothing loaded, nothing measured) and this endpoint, created by PUT.
"""

from __future__ import annotations

import httpx

INFERENCE_ID = "bench-smollm2"
ENGINES = {  # the name a benchmark takes -> the endpoint's service settings
    "transformers-fp32": {"engine": "transformers", "dtype": "float32"},
    "onnx": {"engine": "onnx"},
}


def create(url: str, engine: str) -> str:
    """Create (or keep) the endpoint on hfgate at ``url``, loaded on ``engine``; its inference id."""
    settings = {"model": "HuggingFaceTB/SmolLM2-135M-Instruct", "task": "text-generation", **ENGINES[engine]}
    body = {"service": "local", "service_settings": settings, "task_settings": {"max_new_tokens": 256}}
    answer = httpx.put(f"{url}/_inference/completion/{INFERENCE_ID}", json=body, timeout=1800)
    if answer.status_code != 409:  # 409: created by an earlier run on this data directory
        answer.raise_for_status()
    return INFERENCE_ID

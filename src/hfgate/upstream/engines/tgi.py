"""text-generation-inference (``engine: tgi``): ``/generate``, ``/generate_stream`` and OpenAI's chat
route; it serves one model and ignores the chat ``model`` name (TGI ``router/src/server.rs``)."""

from __future__ import annotations

from typing import ClassVar

from hfgate.upstream.engines.base import Kind, Protocol
from hfgate.upstream.engines.openai import OpenAIChat
from hfgate.upstream.engines.tgi_protocols import TgiGenerate


class TgiChat(OpenAIChat):
    """OpenAI's chat route, plus TGI's ``tool_prompt`` (TGI ``router/src/lib.rs``, ``ChatRequest``)."""

    carries_tool_prompt: ClassVar[bool] = True


NAME = "tgi"
OWNED_BY: tuple[str, ...] = ()  # TGI's /v1/models says owned_by = the model id; /info identifies it
PROTOCOLS: dict[Kind, Protocol] = {"generate": TgiGenerate(), "chat": TgiChat()}

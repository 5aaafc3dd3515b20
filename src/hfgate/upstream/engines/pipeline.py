"""A server hfgate could not identify, e.g. an Inference Endpoint's custom handler (``engine: pipeline``).

Requests go to the url as given, in Hugging Face's pipeline shapes — what an Inference Endpoint's
``POST /`` takes whatever runs behind it. Endpoints created before engines were detected use it too.
"""

from __future__ import annotations

from typing import Any

from hfgate.pipelines import Pipeline
from hfgate.upstream.engines.base import Address, Kind, PipelineProtocol, Protocol
from hfgate.upstream.engines.openai import OpenAIChat
from hfgate.upstream.engines.tgi_protocols import GivenUrlEmbed, GivenUrlGenerate, TeiRerank, Text2Text
from hfgate.upstream.wire.chat import chat_url


class GivenUrlChat(OpenAIChat):
    """huggingface_hub's rule: the url if it ends in ``/v1/chat/completions``, else that route added."""

    def url(self, at: Address) -> str:
        return chat_url(at.given or at.root)


class GivenUrlPipeline(PipelineProtocol):
    """The Hub's tasks as Hugging Face's inference toolkit serves them: ``POST`` to the url as given
    (huggingface-inference-toolkit ``webservice_starlette.py``: one route, ``{"inputs", "parameters"}``)."""

    def url(self, at: Address, task: Pipeline[Any]) -> str:
        return at.given or at.root


NAME = "pipeline"
OWNED_BY: tuple[str, ...] = ()
PROTOCOLS: dict[Kind, Protocol] = {
    "embed": GivenUrlEmbed(),
    "generate": GivenUrlGenerate(),
    "text2text": Text2Text(),
    "chat": GivenUrlChat(),
    "rerank": TeiRerank(),
    "pipeline": GivenUrlPipeline(),
}

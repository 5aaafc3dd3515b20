"""The template every protocol follows: where to send (``url``), what to send (``payload``), how to read
the answer (``parse``, and ``parse_event`` for a stream).

One class per way of calling one task on one engine or provider. A protocol is told its :class:`Address`
and never decides where it is reached: that is :func:`hfgate.upstream.engines.pick`'s caller's job.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar, Literal, TypeVar
from typing import Protocol as Structural

from hfgate.chat.messages import ChatMessage
from hfgate.images import ImageInput
from hfgate.pipelines import Pipeline, PipelineRequest
from hfgate.tasks import GenerationDelta, GenerationParams
from hfgate.upstream.wire.common import UpstreamText

Kind = Literal["embed", "image_embed", "sparse", "generate", "text2text", "chat", "rerank", "pipeline"]
Vectors = list[list[float]]
Scores = list[tuple[int, float]]
SparseVectors = list[dict[int, float]]
R = TypeVar("R")


@dataclass(frozen=True, slots=True, kw_only=True)
class Address:
    """Where a protocol's routes hang (``root``), the url as the user gave it (``given``), the model
    name to send (empty: the server serves one model and needs none), and the server's context window
    in tokens when known (``window``: embedding protocols ask the server to truncate to it)."""

    root: str
    given: str = ""
    model: str = ""
    window: int | None = None

    def at(self, route: str) -> str:
        """``root`` + ``route``.

        Example:
            >>> Address(root="http://vllm:8000/").at("/v1/completions")
            'http://vllm:8000/v1/completions'
        """
        return self.root.rstrip("/") + route


class Protocol:
    """Base of every protocol: the kind of call it makes, and whether it streams."""

    kind: ClassVar[Kind]
    streams: ClassVar[bool] = False


class EmbedProtocol(Protocol):
    kind: ClassVar[Kind] = "embed"

    def url(self, at: Address) -> str:
        raise NotImplementedError

    def payload(self, at: Address, texts: Sequence[str], *, normalize: bool = True) -> dict[str, Any]:
        """The body for ``texts``; ``normalize=False`` asks for the pooled vectors, not unit ones."""
        raise NotImplementedError

    def parse(self, body: Any, *, count: int) -> Vectors:
        raise NotImplementedError


class ImageEmbedProtocol(Protocol):
    """Images embedded in the texts' space of an image-and-text model (CLIP, SigLIP): one vector per image.
    ``batch`` is the most images one request carries."""

    kind: ClassVar[Kind] = "image_embed"
    batch: ClassVar[int] = 32

    def url(self, at: Address) -> str:
        raise NotImplementedError

    def payload(self, at: Address, images: Sequence[ImageInput]) -> dict[str, Any]:
        raise NotImplementedError

    def parse(self, body: Any, *, count: int) -> Vectors:
        raise NotImplementedError


class SparseProtocol(Protocol):
    kind: ClassVar[Kind] = "sparse"

    def url(self, at: Address) -> str:
        raise NotImplementedError

    def payload(self, at: Address, texts: Sequence[str]) -> dict[str, Any]:
        raise NotImplementedError

    def parse(self, body: Any, *, count: int) -> SparseVectors:
        raise NotImplementedError


class GenerateProtocol(Protocol):
    """A prompt in, text out (TGI's ``/generate``, OpenAI's ``/v1/completions``, text2text pipelines)."""

    kind: ClassVar[Kind] = "generate"

    def url(self, at: Address, *, stream: bool) -> str:
        raise NotImplementedError

    def payload(
        self, at: Address, prompt: str, *, settings: Mapping[str, Any], params: GenerationParams, stream: bool
    ) -> dict[str, Any]:
        raise NotImplementedError

    def parse(self, body: Any) -> UpstreamText:
        raise NotImplementedError

    def parse_event(self, body: Any) -> GenerationDelta:
        raise NotImplementedError


class ChatProtocol(Protocol):
    kind: ClassVar[Kind] = "chat"
    streams: ClassVar[bool] = True
    carries_tool_prompt: ClassVar[bool] = False  # the server reads TGI's tool_prompt (TgiChat)

    def url(self, at: Address) -> str:
        raise NotImplementedError

    def payload(
        self,
        at: Address,
        messages: tuple[ChatMessage, ...],
        *,
        settings: Mapping[str, Any],
        params: GenerationParams,
        stream: bool,
        tools: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        """The body; ``tools`` is the request's tool fields on the wire (``wire.chat_tools.tool_options``)."""
        raise NotImplementedError

    def parse(self, body: Any) -> UpstreamText:
        raise NotImplementedError

    def parse_event(self, body: Any) -> GenerationDelta:
        raise NotImplementedError


class Batched(Structural[R]):
    """What embedding and sparse protocols share: a batch of texts in, one answer per text out."""

    def url(self, at: Address) -> str: ...

    def payload(self, at: Address, texts: Sequence[str]) -> dict[str, Any]: ...

    def parse(self, body: Any, *, count: int) -> list[R]: ...


class RerankProtocol(Protocol):
    kind: ClassVar[Kind] = "rerank"

    def url(self, at: Address) -> str:
        raise NotImplementedError

    def payload(self, at: Address, query: str, documents: Sequence[str]) -> dict[str, Any]:
        raise NotImplementedError

    def parse(self, body: Any, *, count: int) -> Scores:
        raise NotImplementedError


class PipelineProtocol(Protocol):
    """One of the Hub's tasks (``hfgate.pipelines``) in the Inference API's shape: ``{"inputs", "parameters"}``
    (a file as base64 in ``inputs``), the answer read by the task's module (its shape made the one
    ``InferenceClient`` parses)."""

    kind: ClassVar[Kind] = "pipeline"

    def url(self, at: Address, task: Pipeline[Any]) -> str:
        raise NotImplementedError

    def payload(self, at: Address, task: Pipeline[Any], request: PipelineRequest) -> Any:
        return task.payload(request)

    def parse(self, task: Pipeline[Any], request: PipelineRequest, body: Any) -> Any:
        return task.answer(body)

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
from hfgate.errors import BadRequestError
from hfgate.images import ImageInput
from hfgate.pipelines import Pipeline, PipelineRequest
from hfgate.tasks import GenerationDelta, GenerationParams, TaskType
from hfgate.upstream.wire.common import UpstreamText

Kind = Literal["embed", "image_embed", "sparse", "generate", "text2text", "chat", "rerank", "pipeline"]
Vectors = list[list[float]]
Scores = list[tuple[int, float]]
SparseVectors = list[dict[int, float]]
R = TypeVar("R")


@dataclass(frozen=True, slots=True, kw_only=True)
class Address:
    """Where a protocol's routes hang (``root``), the url as the user gave it (``given``), the model
    name to send (empty: the server serves one model and needs none), the server's context window
    in tokens when known (``window``: embedding protocols ask the server to truncate to it), and the
    model's class names when known (``labels``)."""

    root: str
    given: str = ""
    model: str = ""
    window: int | None = None
    labels: tuple[str, ...] = ()
    """A classifier's class names by class id, where hfgate found the model's config (vLLM's ``/classify``
    names only each text's best class); empty otherwise."""

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
    ``InferenceClient`` parses). ``payload`` may return a :class:`~hfgate.upstream.wire.form.Form` for a
    server that takes multipart."""

    kind: ClassVar[Kind] = "pipeline"

    def serves(self, task: TaskType) -> bool:
        """Whether it has a route for ``task`` (every Hub task unless it says otherwise)."""
        return True

    def url(self, at: Address, task: Pipeline[Any]) -> str:
        raise NotImplementedError

    def headers(self, at: Address, task: Pipeline[Any]) -> dict[str, str]:
        """Headers the route needs beyond the call's own."""
        return {}

    def payload(self, at: Address, task: Pipeline[Any], request: PipelineRequest) -> Any:
        return task.payload(request)

    def parse(self, at: Address, task: Pipeline[Any], request: PipelineRequest, body: Any) -> Any:
        return task.answer(body)


class ByTask(PipelineProtocol):
    """A server's (or provider's) own route for each Hub task it serves, one protocol per task, as
    huggingface_hub's ``PROVIDERS`` maps provider → task → helper; any other task is a 400 naming those it serves.

    Args:
        server: the engine or provider, as the refusal names it.
        routes: the protocol of each task served.
    """

    def __init__(self, server: str, routes: Mapping[TaskType, PipelineProtocol]) -> None:
        self.server = server
        self.routes = dict(routes)

    def serves(self, task: TaskType) -> bool:
        return task in self.routes

    def url(self, at: Address, task: Pipeline[Any]) -> str:
        return self._route(task).url(at, task)

    def headers(self, at: Address, task: Pipeline[Any]) -> dict[str, str]:
        return self._route(task).headers(at, task)

    def payload(self, at: Address, task: Pipeline[Any], request: PipelineRequest) -> Any:
        return self._route(task).payload(at, task, request)

    def parse(self, at: Address, task: Pipeline[Any], request: PipelineRequest, body: Any) -> Any:
        return self._route(task).parse(at, task, request, body)

    def _route(self, task: Pipeline[Any]) -> PipelineProtocol:
        found = self.routes.get(task.task)
        if found is None:
            served = ", ".join(t.value for t in self.routes)
            raise BadRequestError(
                f"{self.server} serves [{served}] of the Hub's tasks, not [{task.task.value}]; use an endpoint whose "
                "server or provider runs that task (Hugging Face's inference toolkit: engine [pipeline]; provider "
                "[hf-inference]), or a local endpoint",
                param="task_type",
            )
        return found

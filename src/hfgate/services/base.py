"""The contract every service fulfils, and what it is given to do so.

A service is one small class: the task types it serves, the settings it accepts (declared, so that
validation and ``GET _inference/_services`` come from one place), a check run when an endpoint is
created, and :meth:`Service.open`, which gives an endpoint's :class:`Model`: the object its requests
call, one coroutine per task type. Methods for task types a service does not support are never called:
the orchestrator checks ``task_types`` first.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar, Protocol, TypeVar

from hfgate.config import Settings
from hfgate.errors import BadRequestError
from hfgate.pipelines import PipelineAnswer, PipelineRequest
from hfgate.ratelimit.limiter import Limiter
from hfgate.registry.endpoint import Endpoint
from hfgate.services.spec import SettingSpec, caches
from hfgate.tasks import (
    ChatRequest,
    EmbeddingResult,
    EmbedRequest,
    GenerateRequest,
    Generation,
    GenerationDelta,
    RelayedEvent,
    RelayedResponse,
    RerankRequest,
    RerankResult,
    RerankScores,
    ResponsesRelay,
    SparseEmbedding,
    SparseEmbeddingResult,
    SparseWeights,
    TaskType,
    TokenSpan,
)

T = TypeVar("T")
# A sparse vector's ``{vocabulary id: weight}`` as ``{token: weight}``.
TokenNames = Callable[[dict[int, float]], dict[str, float]]


class Closable(Protocol):
    """A process-wide resource, closed once at shutdown."""

    def close(self) -> None: ...


@dataclass(slots=True)
class ServiceContext:
    """Process-wide resources services share: the settings, resources found by their type, and the
    rate limiters (per process, or fleet-wide over Redis).

    The contract names no backend's types: the ``local`` service asks for its model cache and compute
    thread (``context.shared(ModelCache)``); a service that needs none asks for none.
    """

    settings: Settings
    limiters: Limiter
    resources: tuple[Closable, ...] = ()

    def shared(self, kind: type[T]) -> T:
        """The resource of type ``kind``.

        Raises:
            LookupError: the process was started without one (a wiring mistake, not a user's).
        """
        found = next((r for r in self.resources if isinstance(r, kind)), None)
        if found is None:
            raise LookupError(f"this ServiceContext holds no {kind.__name__}; pass one in its resources")
        return found

    def close(self) -> None:
        for resource in self.resources:
            resource.close()


@dataclass(frozen=True, slots=True, kw_only=True)
class EndpointDescription:
    """What a face may tell its clients about an endpoint, whatever serves it (TEI's and TGI's ``/info``).

    ``generation_task`` is the pipeline tag a completion endpoint answers as; ``device`` where the model
    runs (``cpu``, ``cuda:0``), when the service knows it.
    """

    model: str
    max_input_tokens: int | None = None
    generation_task: str = "text-generation"
    device: str | None = None


class Service:
    """Base of every service; subclasses override the coroutines of the task types they support."""

    name: ClassVar[str]
    label: ClassVar[str]
    task_types: ClassVar[frozenset[TaskType]]
    service_settings: ClassVar[tuple[SettingSpec, ...]] = ()
    task_settings: ClassVar[tuple[SettingSpec, ...]] = ()
    # Whether a chat message's image parts may be sent: the web page offers to attach one only then.
    reads_images: ClassVar[bool] = True

    def __init__(self, context: ServiceContext) -> None:
        self.context = context

    @classmethod
    def cross_check(cls, task_type: TaskType, settings: dict[str, Any]) -> list[str]:
        """Problems with how settings combine (e.g. "exactly one of url or model_id"); none by default.

        Args:
            task_type: the endpoint's task type.
            settings: the checked service settings, secrets included.
        """
        return []

    def admit(self, endpoint: Endpoint) -> None:
        """Refuse what this process's configuration forbids (e.g. a url outside the allowed hosts);
        run at every create and update, with or without the validation call. Nothing by default.

        Raises:
            RequestValidationError: naming the setting and what the configuration allows.
        """

    @classmethod
    def suggested_models(cls) -> tuple[str, ...]:
        """Model ids this service runs (installed packages carry some, others are fetched at their first
        use), offered on the web page; none by default."""
        return ()

    @classmethod
    def describe(cls, endpoint: Endpoint) -> EndpointDescription:
        """The model an endpoint serves and its limits, for the faces; the endpoint's id by default."""
        return EndpointDescription(model=endpoint.inference_id)

    async def task_for(self, settings: Mapping[str, Any]) -> TaskType | None:
        """The task type of a create without one: the model's Hub ``pipeline_tag``'s; ``None``: cannot say.

        Raises:
            HfGateError: the model could not be looked up (as a create would be refused)."""
        return None

    async def check(self, endpoint: Endpoint, *, timeout: float) -> Endpoint:
        """Validate a new endpoint (one real call, as Elasticsearch does) and record what it learnt.

        Raises:
            HfGateError: the check failed; the reason says which check and what to do.
        """
        return endpoint

    async def revise(self, before: Endpoint, after: Endpoint, *, timeout: float) -> Endpoint:
        """Check an ``_update`` (``before`` → ``after``) and record what changed with it; ``after`` by default.

        Raises:
            HfGateError: the updated endpoint does not work; the reason says why.
        """
        return after

    async def warm(self, endpoint: Endpoint) -> None:
        """Load what ``endpoint`` needs (a model, a connection) before its first request; optional."""

    def loaded(self, endpoint: Endpoint) -> bool:
        """Whether what ``endpoint`` needs in memory is there (``GET /ready``); ``True`` when nothing is."""
        return True

    def observed(self, endpoint: Endpoint) -> dict[str, Any]:
        """Settings this process knows now, shown over the stored ones by ``GET _inference`` (a local
        model's live ``engine_choice``); none by default."""
        return {}

    async def release(self, endpoint: Endpoint, *, still_used: Sequence[Endpoint]) -> None:
        """Free what ``endpoint`` (deleted or changed) held, except what ``still_used`` endpoints need."""

    def open(self, endpoint: Endpoint) -> Model:
        """``endpoint`` opened for requests: the object each of its requests calls. Reads no file and
        calls nothing: what the model needs is found or loaded by its first request."""
        return Model(self, endpoint)

    async def aclose(self) -> None:
        """Release connections and threads; called once when the app stops."""


class Model:
    """An endpoint opened by its service (:meth:`Service.open`): what each of its requests calls.

    The orchestrator keeps one per endpoint, with the endpoint's entry, and opens a new one when the
    endpoint changes. Each service's model overrides the coroutines of the task types it serves; the
    others are never called (the orchestrator checks the endpoint's task type first).

    Attributes:
        endpoint: the endpoint as its service serves it.
        cache_on: whether its answers go through the embedding cache: the endpoint's ``cache`` setting
            (:func:`~hfgate.services.spec.caches`), read when it is opened.
        vector_model: what the embedding cache keys its vectors by: everything of the model that changes
            them (its files, or the server, provider and served model), read from the settings without a
            model load; ``None`` (the default) means its vectors are not cached. A sparse or rerank
            endpoint's identity differs from a dense one's on the same model.
    """

    vector_model: str | None = None

    def __init__(self, service: Service, endpoint: Endpoint) -> None:
        self.service = service
        self.endpoint = endpoint
        self.cache_on = caches(endpoint)

    async def vector_engine(self) -> str:
        """The class of what computes the vectors now, when it changes them (a local model's inexact
        engine); ``""`` by default. Engines that give the same vectors share a class."""
        return ""

    async def takes_images(self) -> bool:
        """Whether the model embeds images (``EmbedRequest.images``) in its texts' space; no by default."""
        return False

    async def embed(self, request: EmbedRequest) -> EmbeddingResult:
        raise self._unsupported()

    async def sparse_embed(self, request: EmbedRequest) -> SparseEmbeddingResult:
        """``request``'s sparse vectors: :meth:`sparse_weights` with their ids named by :meth:`token_names`."""
        return named(await self.sparse_weights(request), await self.token_names())

    async def sparse_weights(self, request: EmbedRequest) -> SparseWeights:
        """Each text's ``{vocabulary id: weight}``, as the model gives them."""
        raise self._unsupported()

    async def token_names(self) -> TokenNames:
        """How the ids of the sparse vectors are named now; by their numbers by default."""
        return lambda weights: {str(i): w for i, w in weights.items()}

    async def generate(self, request: GenerateRequest) -> Generation:
        raise self._unsupported()

    def generate_stream(self, request: GenerateRequest) -> AsyncIterator[GenerationDelta]:
        raise self._unsupported()

    async def chat(self, request: ChatRequest) -> Generation:
        raise self._unsupported()

    def chat_stream(self, request: ChatRequest) -> AsyncIterator[GenerationDelta]:
        raise self._unsupported()

    async def rerank(self, request: RerankRequest) -> RerankResult:
        """``request``'s documents best first: :meth:`rerank_scores` ranked by :func:`ranked`."""
        return ranked(self.endpoint, request, await self.rerank_scores(request))

    async def rerank_scores(self, request: RerankRequest) -> RerankScores:
        """Each document's relevance to the query, by its place in ``request``."""
        raise self._unsupported()

    async def pipeline(self, request: PipelineRequest) -> PipelineAnswer:
        """The answer to a request of the endpoint's Hub task (``hfgate.pipelines``)."""
        raise self._unsupported()

    def relays_responses(self) -> bool:
        """Whether the upstream serves the Responses API itself, so that ``/v1/responses`` is passed to it
        (``respond``) instead of translated to a chat; ``False`` by default."""
        return False

    async def respond(self, request: ResponsesRelay) -> RelayedResponse:
        """The upstream's answer to a Responses API request (only where ``relays_responses``)."""
        raise self._unsupported()

    def respond_stream(self, request: ResponsesRelay) -> AsyncIterator[RelayedEvent]:
        """The upstream's stream events, each as it sent it (only where ``relays_responses``)."""
        raise self._unsupported()

    async def tokenize(self, texts: Sequence[str], *, add_special_tokens: bool = True) -> list[list[TokenSpan]]:
        """The model's tokens for each text (TEI's and TGI's ``/tokenize``)."""
        raise BadRequestError(f"The [{self.service.name}] service cannot tokenize for [{self.endpoint.inference_id}]")

    async def decode(self, ids: Sequence[Sequence[int]], *, skip_special_tokens: bool = True) -> list[str]:
        """Each row of token ids as text, by the model's tokenizer (TEI's ``/decode``: :meth:`tokenize` back)."""
        raise BadRequestError(f"The [{self.service.name}] service cannot decode for [{self.endpoint.inference_id}]")

    async def count_chat_tokens(self, request: ChatRequest) -> int:
        """The prompt tokens ``request`` would take: its conversation and tools as the chat renders them
        (Anthropic's ``count_tokens``).

        Raises:
            BadRequestError: the service cannot count them (the caller estimates from the texts instead).
        """
        raise BadRequestError(
            f"The [{self.service.name}] service cannot count a chat's tokens for [{self.endpoint.inference_id}]"
        )

    def _unsupported(self) -> BadRequestError:
        return BadRequestError(
            f"The [{self.service.name}] service does not support task type [{self.endpoint.task_type.value}]"
        )


def named(weights: SparseWeights, names: TokenNames) -> SparseEmbeddingResult:
    """Sparse vectors with their ids named, in order."""
    return SparseEmbeddingResult(
        embeddings=[SparseEmbedding(weights=names(row)) for row in weights.weights], usage=weights.usage
    )


def ranked(endpoint: Endpoint, request: RerankRequest, scores: RerankScores) -> RerankResult:
    """``scores`` best first, cut to the request's ``top_n`` (else the endpoint's task setting)."""
    return scores.ranked(request, top_n=request.top_n or endpoint.task_settings.get("top_n"))

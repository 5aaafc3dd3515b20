"""Task types, and the requests and results that travel between the API faces and the services.

Plain frozen dataclasses: each face translates its wire shapes into them, each service turns them into
calls to a model; a Responses API request relayed to an upstream that serves that API itself is one
too (``ResponsesRelay``, answered by ``RelayedResponse`` or streamed ``RelayedEvent``). A conversation's
own shapes (messages, tools) are in :mod:`hfgate.chat`.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import TYPE_CHECKING, Any, Literal, overload

from hfgate.chat.messages import ChatMessage
from hfgate.chat.tools import TOOL_CHOICE_AUTO, TOOL_CHOICE_NONE, Tool, ToolCall, ToolCallDelta, ToolChoice
from hfgate.images import ImageInput

if TYPE_CHECKING:
    import numpy as np
    from numpy.typing import NDArray


class TaskType(StrEnum):
    """The kinds of inference an endpoint can serve: Elasticsearch's names for the six it knows, and the
    Hub's own (its ``pipeline_tag``) for every other task (:attr:`hub_pipeline`, served by
    :mod:`hfgate.pipelines`)."""

    TEXT_EMBEDDING = "text_embedding"
    EMBEDDING = "embedding"  # Elasticsearch 9.4+: content objects in, one vector each (text_embedding models)
    SPARSE_EMBEDDING = "sparse_embedding"
    COMPLETION = "completion"
    CHAT_COMPLETION = "chat_completion"
    RERANK = "rerank"
    # The Hub's tasks, by its names: each is one module of hfgate.pipelines
    TEXT_CLASSIFICATION = "text-classification"
    TOKEN_CLASSIFICATION = "token-classification"
    ZERO_SHOT_CLASSIFICATION = "zero-shot-classification"
    FILL_MASK = "fill-mask"
    QUESTION_ANSWERING = "question-answering"
    TABLE_QUESTION_ANSWERING = "table-question-answering"
    SUMMARIZATION = "summarization"
    TRANSLATION = "translation"
    SENTENCE_SIMILARITY = "sentence-similarity"
    AUTOMATIC_SPEECH_RECOGNITION = "automatic-speech-recognition"
    AUDIO_CLASSIFICATION = "audio-classification"
    IMAGE_CLASSIFICATION = "image-classification"
    ZERO_SHOT_IMAGE_CLASSIFICATION = "zero-shot-image-classification"
    OBJECT_DETECTION = "object-detection"

    @property
    def hub_pipeline(self) -> bool:
        """Whether this is one of the Hub's tasks Elasticsearch has no name for (served by
        :mod:`hfgate.pipelines`, on ``/hf/{id}`` and the faces that speak it)."""
        return self not in _ELASTICSEARCH

    @property
    def streams(self) -> bool:
        """Whether ``_stream`` is offered for this task type."""
        return self in (TaskType.COMPLETION, TaskType.CHAT_COMPLETION)

    @property
    def default_timeout(self) -> float:
        """Seconds a request of this task type may take unless told otherwise: Elasticsearch's documented
        default (120 s for completion and chat_completion, 30 s otherwise: spec ``inference/put/PutRequest.ts``,
        ``inference/completion/CompletionRequest.ts``), which the settings can change for every face."""
        return 120.0 if self.writes else 30.0

    @property
    def writes(self) -> bool:
        """Whether this task type writes text token by token (given a generation's deadline)."""
        return self.streams or self in _WRITES

    @property
    def embeds(self) -> bool:
        """Whether this task type turns text into vectors (and so can be chunked)."""
        return self in (TaskType.TEXT_EMBEDDING, TaskType.SPARSE_EMBEDDING)


_ELASTICSEARCH = frozenset(
    {
        TaskType.TEXT_EMBEDDING,
        TaskType.EMBEDDING,
        TaskType.SPARSE_EMBEDDING,
        TaskType.COMPLETION,
        TaskType.CHAT_COMPLETION,
        TaskType.RERANK,
    }
)
_WRITES = frozenset({TaskType.SUMMARIZATION, TaskType.TRANSLATION, TaskType.AUTOMATIC_SPEECH_RECOGNITION})
"""Hub tasks that generate text token by token, given a generation's deadline."""


_HUB_TAGS = {
    "feature-extraction": TaskType.TEXT_EMBEDDING,
    # the Hub files nearly every sentence embedder under sentence-similarity: an embedding endpoint is what
    # its users want (a sentence-similarity endpoint is made when asked for by name)
    "sentence-similarity": TaskType.TEXT_EMBEDDING,
    "text-generation": TaskType.CHAT_COMPLETION,
    "image-text-to-text": TaskType.CHAT_COMPLETION,
    "text2text-generation": TaskType.COMPLETION,
    "text-ranking": TaskType.RERANK,
}


def task_of_pipeline_tag(tag: object) -> TaskType | None:
    """The task type an endpoint serves for a model the Hub tags ``tag`` (its ``pipeline_tag``); ``None`` for a
    tag hfgate serves no task for. A text generator is a chat endpoint (which answers completion too).

    Example:
        >>> task_of_pipeline_tag("token-classification"), task_of_pipeline_tag("text-generation")
        (<TaskType.TOKEN_CLASSIFICATION: 'token-classification'>, <TaskType.CHAT_COMPLETION: 'chat_completion'>)
    """
    if not isinstance(tag, str):
        return None
    if tag in _HUB_TAGS:
        return _HUB_TAGS[tag]
    try:
        found = TaskType(tag)
    except ValueError:
        return None
    return found if found.hub_pipeline else None


class InputType(StrEnum):
    """What an embedding is for; some models embed queries and documents differently."""

    SEARCH = "search"
    INGEST = "ingest"
    CLASSIFICATION = "classification"
    CLUSTERING = "clustering"


FinishReason = Literal["length", "eos_token", "stop_sequence", "tool_calls"]
"""Why a generation ended; ``tool_calls`` when the answer is one or more calls of the request's tools."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Usage:
    """Tokens read and written, counted with the model's own tokenizer."""

    prompt_tokens: int = 0
    completion_tokens: int = 0
    reasoning_tokens: int | None = None
    """Of ``completion_tokens``, those spent reasoning (OpenAI's ``completion_tokens_details``)."""
    cached_tokens: int = 0
    """Of ``prompt_tokens``, those the upstream's prefix cache served (OpenAI's ``prompt_tokens_details``)."""

    @property
    def total_tokens(self) -> int:
        return self.prompt_tokens + self.completion_tokens


@dataclass(frozen=True, slots=True, kw_only=True)
class Grammar:
    """What the output must match: a JSON schema (``json``, the schema as JSON text) or a regular
    expression (``regex``). ``field`` names the request field it came from, for error messages."""

    kind: Literal["json", "regex"]
    value: str
    field: str = "grammar"
    distinct_items: bool = False
    """For a JSON array: end it at the first item that repeats an earlier one (``tool_choice: required``)."""


@dataclass(frozen=True, slots=True, kw_only=True)
class GenerationParams:
    """Sampling and stopping controls; ``None`` means the model's or service's default. ``passthrough``: the
    request's fields hfgate does not translate, as sent (vLLM's ``min_p``, ``metadata``…), unchanged to an
    OpenAI-compatible upstream; the local service honours or refuses them (``local/generation/params.py``).
    ``reasoning_effort``: OpenAI's (``low``, ``high``…), to an OpenAI-compatible upstream; no local model reasons.
    """

    max_new_tokens: int | None = None
    temperature: float | None = None
    top_p: float | None = None
    top_k: int | None = None
    repetition_penalty: float | None = None
    seed: int | None = None
    stop: tuple[str, ...] = ()
    do_sample: bool | None = None
    top_n_tokens: int | None = None
    decoder_input_details: bool | None = None
    grammar: Grammar | None = None
    passthrough: Mapping[str, Any] = field(default_factory=dict)
    reasoning_effort: str | None = None
    sent_as: Mapping[str, str] = field(default_factory=dict, compare=False)
    """The request's own field for a control, where its face names it otherwise (``max_new_tokens`` sent as
    ``max_tokens``, ``top_p`` as ``generationConfig.topP``): the field an error about its value names."""


@dataclass(frozen=True, slots=True, kw_only=True)
class EmbedRequest:
    """Embed ``texts`` (``images``: none, or one per text, an image where its text is ``""``); ``normalize``: TEI's."""

    texts: tuple[str, ...]
    images: tuple[ImageInput | None, ...] = ()
    input_type: InputType | None = None
    task_settings: Mapping[str, Any] = field(default_factory=dict)
    timeout: float | None = None
    """The request's deadline in seconds, set by the orchestrator (faces leave it unset); a service gives it to
    its upstream calls. ``None`` when a service is called directly: the task type's ``default_timeout``."""
    normalize: bool = True


@dataclass(frozen=True, slots=True, kw_only=True)
class GenerateRequest:
    """Continue ``prompt`` (text-generation) or transform it (text2text-generation)."""

    prompt: str
    params: GenerationParams = GenerationParams()
    timeout: float | None = None
    """As :attr:`EmbedRequest.timeout`."""


@dataclass(frozen=True, slots=True, kw_only=True)
class ChatRequest:
    """Answer the last message of a conversation.

    ``tools`` are the functions the model may call; ``tool_choice`` is ``None`` when the request did
    not say (OpenAI's default: ``auto`` with tools, ``none`` without); ``parallel_tool_calls`` is
    ``None`` when not given (OpenAI's default: true). Without tools the three keep their defaults.
    ``tool_prompt`` is TGI's extension: the text that introduces the tools in the prompt (``None``: the
    model's or the engine's own); it has no effect without tools.
    """

    messages: tuple[ChatMessage, ...]
    params: GenerationParams = GenerationParams()
    timeout: float | None = None
    """As :attr:`EmbedRequest.timeout`."""
    tools: tuple[Tool, ...] = ()
    tool_choice: ToolChoice | None = None
    parallel_tool_calls: bool | None = None
    tool_prompt: str | None = None

    @property
    def effective_tool_choice(self) -> ToolChoice:
        """``tool_choice`` with OpenAI's default applied."""
        if self.tool_choice is not None:
            return self.tool_choice
        return TOOL_CHOICE_AUTO if self.tools else TOOL_CHOICE_NONE


@dataclass(frozen=True, slots=True, kw_only=True)
class RerankRequest:
    """Score ``documents`` by relevance to ``query``."""

    query: str
    documents: tuple[str, ...]
    top_n: int | None = None
    return_documents: bool = True
    timeout: float | None = None
    """As :attr:`EmbedRequest.timeout`."""


class FloatRows(Sequence[list[float]]):
    """Vectors as the rows of one 2-D float32 array (a local model's pass), read as lists of floats.

    ``len``, indexing, slicing, iteration and ``==`` give what ``array.tolist()`` gives, so every consumer
    of vectors reads it as a list of lists; the lists are made once, on first use, and kept. Code that can
    use the floats as they are reads :attr:`array` instead (the OpenAI face's base64), and makes none.

    Raises:
        ValueError: ``array`` is not 2-D float32.

    Example:
        >>> rows = FloatRows(np.array([[0.5, -1.25], [2.0, 0.0]], dtype=np.float32))
        >>> len(rows), rows[-1], rows == [[0.5, -1.25], [2.0, 0.0]], rows.array.shape
        (2, [2.0, 0.0], True, (2, 2))
    """

    __slots__ = ("_array", "_lists")
    __hash__ = None  # type: ignore[assignment]  # unhashable, as a list

    def __init__(self, array: NDArray[np.float32]) -> None:
        if array.ndim != 2 or array.dtype != "float32":
            raise ValueError(f"FloatRows takes a 2-D float32 array, got a {array.ndim}-D {array.dtype} one")
        # a read-only view: the lists, once made, must keep saying what the array says
        self._array = array.view()
        self._array.flags.writeable = False
        self._lists: list[list[float]] | None = None

    @property
    def array(self) -> NDArray[np.float32]:
        """The vectors, one per row (read-only)."""
        return self._array

    def __len__(self) -> int:
        return len(self._array)

    @overload
    def __getitem__(self, index: int) -> list[float]: ...
    @overload
    def __getitem__(self, index: slice) -> list[list[float]]: ...
    def __getitem__(self, index: int | slice) -> list[float] | list[list[float]]:
        return self._as_lists()[index]

    def __iter__(self) -> Iterator[list[float]]:
        return iter(self._as_lists())

    def __eq__(self, other: object) -> bool:
        if isinstance(other, FloatRows):
            other = other._as_lists()
        return self._as_lists() == other if isinstance(other, list) else NotImplemented

    def __repr__(self) -> str:
        return f"FloatRows({self._array.shape[0]}x{self._array.shape[1]})"

    def _as_lists(self) -> list[list[float]]:
        if self._lists is None:
            self._lists = self._array.tolist()
        return self._lists


@dataclass(frozen=True, slots=True, kw_only=True)
class EmbeddingResult:
    """One dense vector per input text, in input order: lists of floats (a remote server's JSON) or
    :class:`FloatRows` (a local model's pass). ``orjson`` writes a list, not any Sequence: ``list(...)``
    before handing it on whole."""

    embeddings: Sequence[list[float]]
    usage: Usage = Usage()


@dataclass(frozen=True, slots=True, kw_only=True)
class SparseEmbedding:
    """Token → weight, and whether the input was cut to fit the model."""

    weights: dict[str, float]
    is_truncated: bool = False


@dataclass(frozen=True, slots=True, kw_only=True)
class SparseEmbeddingResult:
    """One sparse vector per input text, in input order."""

    embeddings: list[SparseEmbedding]
    usage: Usage = Usage()


@dataclass(frozen=True, slots=True, kw_only=True)
class SparseWeights:
    """One ``{vocabulary id: weight}`` per input text, in order: a sparse vector before its ids are named."""

    weights: list[dict[int, float]]
    usage: Usage = Usage()


@dataclass(frozen=True, slots=True, kw_only=True)
class Generation:
    """A finished generation: text and/or, for a chat with tools, the calls the model made (then
    ``finish_reason`` is ``tool_calls``). ``reasoning``: a reasoning model's thinking, when its server gives
    it apart (vLLM's ``reasoning_content``); ``stop_sequence``: the stop string met, when the engine says."""

    text: str
    finish_reason: FinishReason
    usage: Usage = Usage()
    tool_calls: tuple[ToolCall, ...] = ()
    reasoning: str = ""
    stop_sequence: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class TopToken:
    """One of the most likely tokens at a step (TGI's ``top_n_tokens``)."""

    id: int
    text: str
    logprob: float
    special: bool = False


@dataclass(frozen=True, slots=True, kw_only=True)
class InputToken:
    """A prompt token and its log probability given the tokens before it (TGI's ``prefill``)."""

    id: int
    text: str
    logprob: float | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class GenerationDelta:
    """A piece of a streamed generation; the last piece carries ``finish_reason`` and ``usage``.

    ``logprob`` is the chosen token's log probability under the distribution it was drawn from (None
    when the engine does not say); ``top_tokens`` the most likely tokens, when asked for.
    """

    text: str
    token_id: int | None = None
    finish_reason: FinishReason | None = None
    usage: Usage | None = None
    logprob: float | None = None
    top_tokens: tuple[TopToken, ...] = ()
    stop_sequence: str | None = None
    prefill: tuple[InputToken, ...] = ()
    """On the first delta, when ``decoder_input_details`` asked for it: the prompt's tokens. (``stop_sequence``:
    on a ``stop_sequence`` finish, the stop string met, never in ``text``; TGI's face puts it back.)"""
    tool_calls: tuple[ToolCallDelta, ...] = ()
    """Pieces of the tool calls being written, in OpenAI's streaming shape (see ``ToolCallDelta``)."""
    reasoning: str = ""
    """A piece of a reasoning model's thinking (vLLM's ``delta.reasoning_content``), before the answer's text."""


@dataclass(frozen=True, slots=True, kw_only=True)
class TokenSpan:
    """One token of a tokenized text: its id, its text, and where it came from in the input."""

    id: int
    text: str
    special: bool
    start: int | None
    stop: int | None


@dataclass(frozen=True, slots=True, kw_only=True)
class RerankHit:
    """A document's place in the input, its relevance, and (if asked) its text."""

    index: int
    score: float
    text: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class RerankResult:
    """Documents ordered by decreasing relevance."""

    hits: list[RerankHit]
    usage: Usage = Usage()


@dataclass(frozen=True, slots=True, kw_only=True)
class RerankScores:
    """Each document's relevance by its place in the request, before ranking (what the embedding cache
    keeps); a document the upstream did not score is absent."""

    scores: dict[int, float]
    usage: Usage = Usage()

    def ranked(self, request: RerankRequest, *, top_n: int | None) -> RerankResult:
        """The best ``top_n`` first; equal scores in document order, whatever order the scores came in
        (computed, or some from the cache), so that the ranking depends on the scores alone.

        Example:
            >>> scores = RerankScores(scores={1: 0.5, 0: 0.5, 2: 0.9})
            >>> [hit.index for hit in scores.ranked(RerankRequest(query="q", documents=("a", "b", "c")), top_n=2).hits]
            [2, 0]
        """
        order = sorted(self.scores.items(), key=lambda item: (-item[1], item[0]))[:top_n]
        docs, text = request.documents, request.return_documents
        hits = [RerankHit(index=i, score=score, text=docs[i] if text else None) for i, score in order]
        return RerankResult(hits=hits, usage=self.usage)


@dataclass(frozen=True, slots=True, kw_only=True)
class ResponsesRelay:
    """A Responses API request (``POST /v1/responses``) for an upstream that serves that API itself.

    ``body`` is the request as the client sent it (already checked by the face); ``history`` the items
    of the stored conversation ``previous_response_id`` continues, oldest first (the upstream keeps no
    state, so they travel before the request's own input).
    """

    body: Mapping[str, Any]
    history: tuple[Mapping[str, Any], ...] = ()
    timeout: float | None = None
    """As :attr:`EmbedRequest.timeout`."""


@dataclass(frozen=True, slots=True, kw_only=True)
class RelayedResponse:
    """The upstream's ``response`` object, unchanged, and its token counts."""

    body: dict[str, Any]
    usage: Usage = field(default_factory=Usage)


@dataclass(frozen=True, slots=True, kw_only=True)
class RelayedEvent:
    """One stream event of a relayed response, as the upstream sent it; ``final`` holds the whole
    response on the event that ends the stream (``response.completed``, ``…incomplete``, ``…failed``)."""

    data: dict[str, Any]
    final: RelayedResponse | None = None

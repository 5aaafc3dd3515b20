"""A fast in-process service for the face tests: a real :class:`~hfgate.services.base.Service` whose model
objects compute deterministic answers from the words of their inputs, with no model file, no engine
measurement and no upstream. The faces, the orchestrator, the embedding cache, keys and limits all run
as they do for any service; only what a model would compute is replaced, by rules a test can predict:

- a text's vector: ``DIMENSIONS`` values from the SHA-256 of each word, summed and normalized (texts that
  share words are near; the same text always gives the same vector);
- a sparse vector: one weight per distinct word (how often it occurs), the word's vocabulary id its
  place in :data:`VOCABULARY` order of first use;
- a rerank score: the share of the query's words found in the document;
- a generation: ``"You said: "`` and the prompt's (or the last user turn's) words, cut at ``max_tokens``
  words (``finish_reason`` ``length``) or at a stop string (``stop_sequence``); with tools and a
  ``required`` or named tool choice, one call of the first (or the named) tool with ``{}``;
- a token: a word (``tokenize`` gives each word's offsets).

Registered under ``fake`` by the ``fake_api`` fixture (``tests/conftest.py``).
"""

from __future__ import annotations

import hashlib
import math
import re
from collections.abc import AsyncIterator, Sequence
from typing import ClassVar

from hfgate.chat.tools import ToolCall, ToolCallDelta
from hfgate.registry.endpoint import Endpoint
from hfgate.services.base import Model, Service, TokenNames
from hfgate.services.embedding_shape import EMBEDDING_SHAPE_SETTINGS, record_embedding_shape
from hfgate.services.spec import CACHE_SETTING, GENERATION_TASK_SETTINGS, RERANK_TASK_SETTINGS, SettingSpec
from hfgate.tasks import (
    ChatRequest,
    EmbeddingResult,
    EmbedRequest,
    GenerateRequest,
    Generation,
    GenerationDelta,
    GenerationParams,
    RerankRequest,
    RerankScores,
    SparseWeights,
    TaskType,
    TokenSpan,
    Usage,
)

DIMENSIONS = 16
WORD = re.compile(r"\w+")
VOCABULARY: dict[str, int] = {}
"""Every word a fake sparse model has seen, by its id (shared by the process's fake models)."""
MAX_WORDS = 16
"""Words a generation writes when the request sets no ``max_tokens``."""


def words(text: str) -> list[str]:
    return WORD.findall(text.lower())


def vector(text: str) -> list[float]:
    """The fake embedding of ``text``: its words' hashes summed, unit length (all zeros for no word)."""
    sums = [0.0] * DIMENSIONS
    for word in words(text):
        digest = hashlib.sha256(word.encode()).digest()
        for i in range(DIMENSIONS):
            sums[i] += digest[i] / 255.0 - 0.5
    norm = math.sqrt(sum(v * v for v in sums)) or 1.0
    return [v / norm for v in sums]


class FakeService(Service):
    """Every task type, answered by :class:`FakeModel`."""

    name = "fake"
    label = "Fake (tests)"
    task_types: ClassVar[frozenset[TaskType]] = frozenset(TaskType)
    service_settings = (
        SettingSpec(name="model", required=True, label="Model", description="Any name: the answers ignore it."),
        *EMBEDDING_SHAPE_SETTINGS,
        CACHE_SETTING,
    )
    task_settings = GENERATION_TASK_SETTINGS + RERANK_TASK_SETTINGS

    async def check(self, endpoint: Endpoint, *, timeout: float) -> Endpoint:
        """Record the vectors' shape, as every embedding service does at create."""
        if endpoint.task_type is TaskType.TEXT_EMBEDDING:
            return await record_embedding_shape(self.open(endpoint), timeout=timeout)
        return endpoint

    def open(self, endpoint: Endpoint) -> FakeModel:
        return FakeModel(self, endpoint)


class FakeModel(Model):
    """One fake endpoint's answers (the module's docstring gives the rules)."""

    @property
    def vector_model(self) -> str:  # type: ignore[override]  # every fake endpoint's vectors are the same
        return f"fake|{self.endpoint.task_type.value}"

    async def embed(self, request: EmbedRequest) -> EmbeddingResult:
        vectors = [vector(text) for text in request.texts]
        return EmbeddingResult(embeddings=vectors, usage=Usage(prompt_tokens=_count(request.texts)))

    async def sparse_weights(self, request: EmbedRequest) -> SparseWeights:
        rows: list[dict[int, float]] = []
        for text in request.texts:
            row: dict[int, float] = {}
            for word in words(text):
                key = VOCABULARY.setdefault(word, len(VOCABULARY))
                row[key] = row.get(key, 0.0) + 1.0
            rows.append(row)
        return SparseWeights(weights=rows, usage=Usage(prompt_tokens=_count(request.texts)))

    async def token_names(self) -> TokenNames:
        names = {i: word for word, i in VOCABULARY.items()}
        return lambda weights: {names[i]: w for i, w in weights.items()}

    async def rerank_scores(self, request: RerankRequest) -> RerankScores:
        asked = set(words(request.query)) or {""}
        scores = {i: len(asked & set(words(doc))) / len(asked) for i, doc in enumerate(request.documents)}
        return RerankScores(scores=scores, usage=Usage(prompt_tokens=_count((request.query, *request.documents))))

    async def generate(self, request: GenerateRequest) -> Generation:
        return _answer(request.prompt, request.params)

    async def generate_stream(self, request: GenerateRequest) -> AsyncIterator[GenerationDelta]:
        for delta in _pieces(_answer(request.prompt, request.params)):
            yield delta

    async def chat(self, request: ChatRequest) -> Generation:
        call = _tool_call(request)
        if call is not None:
            return Generation(text="", finish_reason="tool_calls", tool_calls=(call,), usage=_chat_usage(request, 1))
        return _answer(_last_user_turn(request), request.params, prompt_tokens=_count(_texts(request)))

    async def chat_stream(self, request: ChatRequest) -> AsyncIterator[GenerationDelta]:
        call = _tool_call(request)
        if call is None:
            done = _answer(_last_user_turn(request), request.params, prompt_tokens=_count(_texts(request)))
            for delta in _pieces(done):
                yield delta
            return
        piece = ToolCallDelta(index=0, id=call.id, name=call.name, arguments=call.arguments)
        yield GenerationDelta(text="", tool_calls=(piece,))
        yield GenerationDelta(text="", finish_reason="tool_calls", usage=_chat_usage(request, 1))

    async def count_chat_tokens(self, request: ChatRequest) -> int:
        return _count(_texts(request))

    async def tokenize(self, texts: Sequence[str], *, add_special_tokens: bool = True) -> list[list[TokenSpan]]:
        return [
            [
                TokenSpan(id=VOCABULARY.setdefault(m.group().lower(), len(VOCABULARY)), text=m.group(), special=False,
                          start=m.start(), stop=m.end())
                for m in WORD.finditer(text)
            ]
            for text in texts
        ]  # fmt: skip


def _count(texts: Sequence[str]) -> int:
    return sum(len(words(text)) for text in texts)


def _texts(request: ChatRequest) -> list[str]:
    return [message.content for message in request.messages]


def _last_user_turn(request: ChatRequest) -> str:
    return next((m.content for m in reversed(request.messages) if m.role == "user"), "")


def _chat_usage(request: ChatRequest, written: int) -> Usage:
    return Usage(prompt_tokens=_count(_texts(request)), completion_tokens=written)


def _tool_call(request: ChatRequest) -> ToolCall | None:
    """A call of the named tool, or of the first when one is required; ``None`` otherwise."""
    choice = request.tool_choice
    if not request.tools or choice is None or choice.mode not in ("required", "named"):
        return None
    name = choice.name if choice.mode == "named" and choice.name else request.tools[0].name
    return ToolCall(id="call_fake_0", name=name, arguments="{}")


def _answer(prompt: str, params: GenerationParams, *, prompt_tokens: int | None = None) -> Generation:
    """``"You said: "`` and the prompt's words, cut at ``max_new_tokens`` words or a stop string."""
    written = ["You", "said:", *prompt.split()]
    limit = params.max_new_tokens or MAX_WORDS
    text, reason = " ".join(written[:limit]), "length" if len(written) > limit else "eos_token"
    stopped = next((stop for stop in params.stop if stop and stop in text), None)
    if stopped is not None:
        text, reason = text[: text.index(stopped)], "stop_sequence"
    counted = _count([prompt]) if prompt_tokens is None else prompt_tokens
    usage = Usage(prompt_tokens=counted, completion_tokens=len(text.split()))
    return Generation(text=text, finish_reason=reason, usage=usage, stop_sequence=stopped)  # type: ignore[arg-type]


def _pieces(done: Generation) -> list[GenerationDelta]:
    """``done`` as a stream: one piece per word, the last with the finish reason and the usage."""
    parts = done.text.split(" ")
    pieces = [GenerationDelta(text=part if i == 0 else " " + part) for i, part in enumerate(parts[:-1])]
    last = parts[-1] if len(parts) == 1 else " " + parts[-1]
    return [*pieces, GenerationDelta(text=last, finish_reason=done.finish_reason, usage=done.usage)]

"""The ``local`` service: models that run in this process, from a directory or a model package."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar, TypeVar

from hfgate.errors import BadRequestError, RequestTimeoutError
from hfgate.local.batching import BatchLimits
from hfgate.local.cache import ModelCache
from hfgate.local.catalog import KNOWN_MODELS, ModelLocation, resolve_model
from hfgate.local.compute import Compute
from hfgate.local.embedding.embedder import SentenceEmbedder
from hfgate.local.embedding.engine_choice import AUTO_ENGINE, DEFAULT_MIN_COSINE, engine_class
from hfgate.local.generation.architecture import GENERATION_TASKS, detect_task
from hfgate.local.generation.engine_choice import AUTO_ENGINE as AUTO_GENERATION_ENGINE
from hfgate.local.generation.params import resolve_params
from hfgate.local.tokenizer import ModelTokenizer
from hfgate.registry.endpoint import Endpoint
from hfgate.services.base import EndpointDescription, Service, ServiceContext
from hfgate.services.cache_setting import CACHE_SETTING
from hfgate.services.embedding_shape import EMBEDDING_SHAPE_SETTINGS, record_embedding_shape
from hfgate.services.generation_settings import GENERATION_TASK_SETTINGS
from hfgate.services.local_embedding_settings import LOCAL_EMBEDDING_SETTINGS, check_min_cosine
from hfgate.services.local_generation_settings import DEFAULT_DTYPE, LOCAL_GENERATION_SETTINGS
from hfgate.services.local_identity import ModelIdentities
from hfgate.services.local_tools import finish_stream, finish_whole, refuse_images, tool_plan
from hfgate.services.spec import SettingSpec
from hfgate.tasks import (
    ChatRequest,
    EmbeddingResult,
    EmbedRequest,
    GenerateRequest,
    Generation,
    GenerationDelta,
    GenerationParams,
    TaskType,
    TokenSpan,
    Usage,
)

if TYPE_CHECKING:
    from hfgate.local.engine_record import MeasuredChoice
    from hfgate.local.generation.auto import AutoEngine
    from hfgate.local.generation.engine import TextGenerator
    from hfgate.local.generation.loading import ModelSource

T = TypeVar("T")

_EMBEDDING = frozenset({TaskType.TEXT_EMBEDDING})
_GENERATING = frozenset({TaskType.COMPLETION, TaskType.CHAT_COMPLETION})


class LocalService(Service):
    """Runs models in-process: works offline, with no account."""

    name = "local"
    label = "Local (in-process)"
    task_types: ClassVar[frozenset[TaskType]] = _EMBEDDING | _GENERATING
    reads_images = False  # refuse_images: the local models read text only
    service_settings = (
        SettingSpec(
            name="model",
            label="Model",
            required=True,
            description="A model directory on this machine, or a known model id an installed package carries.",
        ),
        *EMBEDDING_SHAPE_SETTINGS,
        SettingSpec(
            name="gguf_file",
            task_types=_GENERATING,
            label="GGUF file",
            description="The GGUF file to load when the model directory holds several.",
        ),
        SettingSpec(
            name="task",
            choices=GENERATION_TASKS,
            recorded=True,
            task_types=_GENERATING,
            label="Generation task",
            description="text-generation (decoder-only) or text2text-generation (encoder-decoder); "
            "detected from the model's config at create.",
        ),
        *LOCAL_EMBEDDING_SETTINGS,
        *LOCAL_GENERATION_SETTINGS,
        CACHE_SETTING,
    )
    task_settings = GENERATION_TASK_SETTINGS

    def __init__(self, context: ServiceContext) -> None:
        super().__init__(context)
        self._identities = ModelIdentities()

    @classmethod
    def describe(cls, endpoint: Endpoint) -> EndpointDescription:
        return EndpointDescription(model=str(endpoint.service_settings["model"]))

    @classmethod
    def suggested_models(cls) -> tuple[str, ...]:
        return tuple(sorted(KNOWN_MODELS))

    @classmethod
    def cross_check(cls, task_type: TaskType, settings: dict[str, Any]) -> list[str]:
        return check_min_cosine(settings)

    async def check(self, endpoint: Endpoint, *, timeout: float) -> Endpoint:
        if endpoint.task_type in _GENERATING:
            checked = await self._record_task(endpoint)
            choice = (await self._generation_choice(checked)).summary()
            return checked.evolve(service_settings={**checked.service_settings, "engine_choice": choice})
        checked = await record_embedding_shape(self, endpoint, timeout=timeout)
        choice = (await self._embedder(endpoint)).engine_choice.summary()
        return checked.evolve(service_settings={**checked.service_settings, "engine_choice": choice})

    async def tokenize(
        self, endpoint: Endpoint, texts: Sequence[str], *, add_special_tokens: bool = True
    ) -> list[list[TokenSpan]]:
        location = self._location(endpoint)
        tokenizer = await self.context.shared(ModelCache).get(
            _tokenizer_key(location), lambda: ModelTokenizer(self._tokenizer_location(location))
        )
        return [tokenizer.spans(text, add_special_tokens=add_special_tokens) for text in texts]

    async def warm(self, endpoint: Endpoint) -> None:
        if endpoint.task_type in _GENERATING:
            await self._generator(endpoint)
        else:
            await self._embedder(endpoint)

    def loaded(self, endpoint: Endpoint) -> bool:
        return self._loaded_model(endpoint) is not None

    def observed(self, endpoint: Endpoint) -> dict[str, Any]:
        """The loaded model's ``engine_choice`` (``measuring; serving on torch`` until its engines are
        measured); nothing while it is not loaded."""
        choice = getattr(self._loaded_model(endpoint), "engine_choice", None)
        return {} if choice is None else {"engine_choice": choice.summary()}

    def _loaded_model(self, endpoint: Endpoint) -> Any | None:
        try:
            location = self._location(endpoint)
        except BadRequestError:  # its model is gone from disk
            return None
        key = (_generation_key if endpoint.task_type in _GENERATING else _embedding_key)(endpoint, location)
        return self.context.shared(ModelCache).peek(key)

    async def release(self, endpoint: Endpoint, *, still_used: Sequence[Endpoint]) -> None:
        needed = set().union(*(self._model_keys(other) for other in still_used))
        for key in self._model_keys(endpoint) - needed:
            self.context.shared(ModelCache).release(key)

    def _model_keys(self, endpoint: Endpoint) -> set[str]:
        if endpoint.service != self.name:
            return set()
        try:
            location = self._location(endpoint)
        except BadRequestError:  # its model is gone from disk: nothing of it can be loaded
            return set()
        model_key = (_generation_key if endpoint.task_type in _GENERATING else _embedding_key)(endpoint, location)
        return {model_key, _tokenizer_key(location)}

    async def embed(self, endpoint: Endpoint, request: EmbedRequest) -> EmbeddingResult:
        embedder = await self._embedder(endpoint)
        vectors = await _within(request.timeout, embedder.embed(request.texts, normalize=request.normalize))
        usage = Usage(prompt_tokens=embedder.count_tokens(request.texts))
        return EmbeddingResult(embeddings=vectors, usage=usage)

    def vector_model(self, endpoint: Endpoint) -> str | None:
        if endpoint.task_type not in _EMBEDDING:
            return None
        return self._identities.of(endpoint.service_settings["model"])

    async def vector_engine(self, endpoint: Endpoint) -> str:
        return engine_class((await self._embedder(endpoint)).engine_name)

    async def _embedder(self, endpoint: Endpoint) -> SentenceEmbedder:
        model = endpoint.service_settings["model"]
        engine = endpoint.service_settings.get("engine") or AUTO_ENGINE
        min_cosine = float(endpoint.service_settings.get("min_cosine", DEFAULT_MIN_COSINE))
        location = resolve_model(model)
        settings, compute = self.context.settings, self.context.shared(Compute)
        return await self.context.shared(ModelCache).get(
            _embedding_key(endpoint, location),
            lambda: SentenceEmbedder(
                location.path,
                compute=compute,
                threads=settings.local_threads,
                engine=engine,
                cache_dir=settings.data_dir / "models",
                limits=BatchLimits.from_settings(settings),
                name=model,
                min_cosine=min_cosine,
                choices_dir=settings.local_engine_choices_dir,
            ),
        )

    async def generate(self, endpoint: Endpoint, request: GenerateRequest) -> Generation:
        return await self._complete(
            endpoint, lambda g: g.encode_prompt(request.prompt), given=request.params, timeout=request.timeout
        )

    def generate_stream(self, endpoint: Endpoint, request: GenerateRequest) -> AsyncIterator[GenerationDelta]:
        return self._stream(
            endpoint, lambda g: g.encode_prompt(request.prompt), given=request.params, timeout=request.timeout
        )

    async def chat(self, endpoint: Endpoint, request: ChatRequest) -> Generation:
        refuse_images(endpoint.service_settings["model"], request.messages)
        plan = tool_plan(request)
        if plan is None:
            return await self._complete(
                endpoint, lambda g: g.encode_chat(request.messages), given=request.params, timeout=request.timeout
            )
        generation = await self._complete(
            endpoint,
            lambda g: g.encode_chat(request.messages, tools=plan.tools, tool_prompt=request.tool_prompt),
            given=plan.params,
            timeout=request.timeout,
        )
        return finish_whole(plan, generation)

    def chat_stream(self, endpoint: Endpoint, request: ChatRequest) -> AsyncIterator[GenerationDelta]:
        refuse_images(endpoint.service_settings["model"], request.messages)
        plan = tool_plan(request)
        if plan is None:
            return self._stream(
                endpoint, lambda g: g.encode_chat(request.messages), given=request.params, timeout=request.timeout
            )
        deltas = self._stream(
            endpoint,
            lambda g: g.encode_chat(request.messages, tools=plan.tools, tool_prompt=request.tool_prompt),
            given=plan.params,
            timeout=request.timeout,
        )
        return finish_stream(plan, deltas)

    async def _complete(
        self,
        endpoint: Endpoint,
        encode: Callable[[TextGenerator], list[int]],
        *,
        given: GenerationParams,
        timeout: float,
    ) -> Generation:
        """One whole generation; ``timeout`` bounds it, queueing included."""
        generator = await self._generator(endpoint)
        prompt = encode(generator)
        params = resolve_params(given, endpoint.task_settings)
        return await _within(timeout, generator.complete(prompt, params))

    async def _stream(
        self,
        endpoint: Endpoint,
        encode: Callable[[TextGenerator], list[int]],
        *,
        given: GenerationParams,
        timeout: float,
    ) -> AsyncIterator[GenerationDelta]:
        """Deltas of one generation; ``timeout`` bounds the wait for the first (queueing included)."""
        generator = await self._generator(endpoint)
        params = resolve_params(given, endpoint.task_settings)
        deltas = generator.stream(encode(generator), params)
        try:
            yield await _within(timeout, anext(deltas))
            async for delta in deltas:
                yield delta
        finally:
            await deltas.aclose()

    async def _record_task(self, endpoint: Endpoint) -> Endpoint:
        """Record whether the model is decoder-only or encoder-decoder (read from its config, fast)."""
        location = self._location(endpoint)
        if endpoint.service_settings.get("engine") == "llama.cpp" and location.gguf_file is None:
            raise BadRequestError(
                "The [llama.cpp] engine runs GGUF models only; give a model directory holding a GGUF file "
                "(and [gguf_file] when it holds several) or use the [transformers] engine",
                param="service_settings.engine",
            )
        if endpoint.service_settings.get("task"):
            return endpoint
        task = await asyncio.to_thread(detect_task, location)
        return endpoint.evolve(service_settings={**endpoint.service_settings, "task": task})

    async def _generator(self, endpoint: Endpoint) -> TextGenerator:
        """The endpoint's loaded model; a first load is not counted in the request's timeout, as it
        happens once per process and carries on for the next request if this one gives up."""
        key = _generation_key(endpoint, self._location(endpoint))
        return await self.context.shared(ModelCache).get(key, lambda: self._load_generator(endpoint))

    async def _generation_choice(self, endpoint: Endpoint) -> MeasuredChoice:
        """The engine that generates for ``endpoint``: ``engine`` as set, or with ``auto`` the fastest
        qualifying one measured on this CPU (while that is measured: the exact default that serves)."""
        from hfgate.local.generation.engine_choice import set_engine

        settings = endpoint.service_settings
        engine = settings.get("engine") or AUTO_GENERATION_ENGINE
        min_cosine = float(settings.get("min_cosine", DEFAULT_MIN_COSINE))
        if engine != AUTO_GENERATION_ENGINE:
            return set_engine(engine, dtype=settings.get("dtype", DEFAULT_DTYPE), min_cosine=min_cosine)
        choice = (await self._generator(endpoint)).engine_choice
        assert choice is not None, "an auto generator always has its choice"
        return choice

    def _load_generator(self, endpoint: Endpoint) -> TextGenerator:
        from hfgate.local.generation.engine import MAX_BATCH_SIZE, TextGenerator
        from hfgate.local.generation.loading import ENGINE_LOADERS, ModelSource

        settings = self.context.settings
        location = self._location(endpoint)
        engine = endpoint.service_settings.get("engine") or AUTO_GENERATION_ENGINE
        source = ModelSource(
            location=location,
            converted=self._converted(location),
            dtype=endpoint.service_settings.get("dtype", DEFAULT_DTYPE),
            threads=settings.local_threads,
            max_rows=MAX_BATCH_SIZE,
            cache_dir=settings.data_dir / "models",
        )
        if engine == AUTO_GENERATION_ENGINE:
            return self._auto_engine(endpoint, source).generator(compute=self.context.shared(Compute))
        return TextGenerator(ENGINE_LOADERS[engine](source), compute=self.context.shared(Compute))

    def _auto_engine(self, endpoint: Endpoint, source: ModelSource) -> AutoEngine:
        from hfgate.local.generation.auto import AutoEngine
        from hfgate.local.generation.engine_choice import MeasureTarget

        settings, location = self.context.settings, source.location
        target = MeasureTarget(
            path=source.converted,
            task=endpoint.service_settings.get("task") or detect_task(location),
            threads=settings.local_threads,
            min_cosine=float(endpoint.service_settings.get("min_cosine", DEFAULT_MIN_COSINE)),
        )
        return AutoEngine(
            source=source,
            target=target,
            folder=settings.local_engine_choices_dir or settings.data_dir / "models" / "engine-choice",
            record_source=location.path / location.gguf_file if location.gguf_file else location.path,
        )

    def _converted(self, location: ModelLocation) -> Path:
        """The model in transformers' format (a GGUF model converted once under the data directory)."""
        from hfgate.local.generation.gguf_cache import ensure_converted

        return ensure_converted(location, models_dir=self.context.settings.data_dir / "models")

    def _tokenizer_location(self, location: ModelLocation) -> ModelLocation:
        """Where the tokenizer loads fast: a GGUF model's converted copy holds it as ``tokenizer.json``
        (read from the GGUF itself, its vocabulary is parsed in Python: a minute on a small machine)."""
        if location.gguf_file is None:
            return location
        return ModelLocation(model_id=location.model_id, path=self._converted(location))

    def _location(self, endpoint: Endpoint) -> ModelLocation:
        settings = endpoint.service_settings
        return resolve_model(settings["model"], gguf_file=settings.get("gguf_file"))


def _tokenizer_key(location: ModelLocation) -> str:
    return f"tokenizer:{location.path}:{location.gguf_file or ''}"


def _embedding_key(endpoint: Endpoint, location: ModelLocation) -> str:
    settings = endpoint.service_settings
    engine = settings.get("engine") or AUTO_ENGINE
    return f"embedding:{engine}:{settings.get('min_cosine', DEFAULT_MIN_COSINE)}:{location.path}"


def _generation_key(endpoint: Endpoint, location: ModelLocation) -> str:
    settings = endpoint.service_settings
    engine = settings.get("engine") or AUTO_GENERATION_ENGINE
    if engine == AUTO_GENERATION_ENGINE:
        variant = f"{settings.get('min_cosine', DEFAULT_MIN_COSINE)}"
    else:
        variant = str(settings.get("dtype", DEFAULT_DTYPE))
    return f"generation:{location.path}:{location.gguf_file or ''}:{engine}:{variant}"


async def _within(timeout: float, work: Awaitable[T]) -> T:
    """``work``'s result, or :class:`RequestTimeoutError` once ``timeout`` seconds have passed."""
    try:
        async with asyncio.timeout(timeout):
            return await work
    except TimeoutError as exc:
        raise RequestTimeoutError(f"Request timed out after [{timeout:g}s]") from exc

"""The ``local`` service's generation model object: completions and chat, whole or streamed, tools included.

The model runs where ``HFGATE_LOCAL_DEVICE`` puts in-process models when its engine is ``transformers``
or ``auto`` (on a CUDA GPU: transformers' precisions there, measured there), and on the CPU when its
engine is a CPU engine (``onnx*``, ``llama.cpp``); ``auto`` on a GPU where vLLM is installed is the
managed vLLM's (``managed_generation``), not this module's. A model bound for a GPU claims its memory
there before it loads (``gpu_memory``): 507 when it cannot fit.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from typing import TYPE_CHECKING

from hfgate.errors import BadRequestError
from hfgate.local.cache import Compute
from hfgate.local.catalog import ModelLocation
from hfgate.local.generation.architecture import detect_task
from hfgate.local.generation.chat_template import ToolPlan, finish_stream, finish_whole, refuse_images, tool_plan
from hfgate.local.generation.engine_choice import AUTO_ENGINE as AUTO_GENERATION_ENGINE
from hfgate.local.generation.engine_choice import DEFAULT_MIN_COSINE, engine_device
from hfgate.local.generation.params import resolve_params, template_kwargs
from hfgate.local.gpu_memory import GpuClaim
from hfgate.registry.endpoint import Endpoint
from hfgate.services.local.base import Loader, LocalModel, LocalModels
from hfgate.services.local.generation_settings import DEFAULT_DTYPE
from hfgate.services.local.keys import generation_key
from hfgate.tasks import (
    ChatRequest,
    GenerateRequest,
    Generation,
    GenerationDelta,
    GenerationParams,
    TaskType,
)

if TYPE_CHECKING:
    from hfgate.local.generation.auto import AutoEngine
    from hfgate.local.generation.engine import TextGenerator
    from hfgate.local.generation.loading import ModelSource
    from hfgate.local.measuring.record import MeasuredChoice

GENERATING = frozenset({TaskType.COMPLETION, TaskType.CHAT_COMPLETION})


class LocalGenerator(LocalModel["TextGenerator"]):
    """Generates with the endpoint's model, loaded once per process into the shared model cache."""

    async def load(self) -> None:
        await self.generator()

    async def generate(self, request: GenerateRequest) -> Generation:
        return await self._complete(lambda g: g.encode_prompt(request.prompt), given=request.params)

    def generate_stream(self, request: GenerateRequest) -> AsyncIterator[GenerationDelta]:
        return self._stream(lambda g: g.encode_prompt(request.prompt), given=request.params)

    async def chat(self, request: ChatRequest) -> Generation:
        refuse_images(self.name, request.messages)
        plan = tool_plan(request)
        encode = _chat_encoder(request, plan)
        if plan is None:
            return await self._complete(encode, given=request.params)
        generation = await self._complete(encode, given=plan.params)
        return finish_whole(plan, generation)

    def chat_stream(self, request: ChatRequest) -> AsyncIterator[GenerationDelta]:
        refuse_images(self.name, request.messages)
        plan = tool_plan(request)
        encode = _chat_encoder(request, plan)
        if plan is None:
            return self._stream(encode, given=request.params)
        return finish_stream(plan, self._stream(encode, given=plan.params))

    async def count_chat_tokens(self, request: ChatRequest) -> int:
        """The length of the prompt :meth:`chat` would send the model: the chat template over the
        conversation, with the tools as the chat renders them (the model is loaded if it is not)."""
        refuse_images(self.name, request.messages)
        return len(_chat_encoder(request, tool_plan(request))(await self.generator()))

    async def _complete(self, encode: Callable[[TextGenerator], list[int]], *, given: GenerationParams) -> Generation:
        """One whole generation (the orchestrator's deadline bounds it, queueing included)."""
        generator = await self.generator()
        return await generator.complete(encode(generator), resolve_params(given))

    async def _stream(
        self, encode: Callable[[TextGenerator], list[int]], *, given: GenerationParams
    ) -> AsyncIterator[GenerationDelta]:
        """Deltas of one generation (the orchestrator's deadline bounds the wait for each, the first's
        queueing included); the model's sequence ends when the stream is closed, read to its end or not."""
        generator = await self.generator()
        deltas = generator.stream(encode(generator), resolve_params(given))
        try:
            async for delta in deltas:
                yield delta
        finally:
            await deltas.aclose()

    async def checked(self) -> Endpoint:
        """At create: the model's task recorded, and the engine that generates for it."""
        checked = await record_task(self.models, self.endpoint)
        choice = (await self._choice(checked)).summary()
        return checked.evolve(service_settings={**checked.service_settings, "engine_choice": choice})

    async def generator(self) -> TextGenerator:
        """The endpoint's loaded model (see :meth:`~hfgate.services.local.base.LocalModel.cached`)."""
        return (await self.loaded(self._loader_of))[0]

    async def _loader_of(self) -> Loader[TextGenerator]:
        """How the model loads: on its engine (``auto``: the one measured best), on its device."""
        models, location, device = self.models, self.location(), await self._device()

        def claim() -> GpuClaim | None:  # its transformers copy's weights (a GGUF model's converted first)
            converted = ModelLocation(model_id=location.model_id, path=models.converted(location))
            return models.gpu_claim(converted, name=self.name, device=device)

        gpu = claim if device.startswith("cuda") else None
        key = generation_key(self.endpoint, location)
        return Loader(location, key, lambda: self._load(location, device=device), gpu=gpu)

    async def _device(self) -> str:
        """Where the model computes: the in-process device for transformers and ``auto``, the CPU for the
        CPU engines."""
        engine = self.endpoint.service_settings.get("engine") or AUTO_GENERATION_ENGINE
        return engine_device(engine, await self.models.in_process_device())

    async def _choice(self, endpoint: Endpoint) -> MeasuredChoice:
        """The engine that generates for ``endpoint``: ``engine`` as set (on the GPU it runs on, named), or
        with ``auto`` the fastest qualifying one measured on this CPU or GPU (while that is measured: the
        exact default that serves)."""
        from hfgate.local.generation.engine_choice import set_engine
        from hfgate.local.machine import machine_of

        settings = endpoint.service_settings
        engine = settings.get("engine") or AUTO_GENERATION_ENGINE
        min_cosine = float(settings.get("min_cosine", DEFAULT_MIN_COSINE))
        if engine != AUTO_GENERATION_ENGINE:
            device = await self._device()
            on = await asyncio.to_thread(lambda: machine_of(device).describe()) if device != "cpu" else None
            return set_engine(engine, dtype=settings.get("dtype", DEFAULT_DTYPE), min_cosine=min_cosine, on=on)
        choice = (await self.generator()).engine_choice
        assert choice is not None, "an auto generator always has its choice"
        return choice

    def _load(self, location: ModelLocation, *, device: str) -> TextGenerator:
        from hfgate.local.generation.engine import MAX_BATCH_SIZE, TextGenerator
        from hfgate.local.generation.loading import ENGINE_LOADERS, ModelSource

        endpoint, models = self.endpoint, self.models
        settings = models.context.settings
        engine = endpoint.service_settings.get("engine") or AUTO_GENERATION_ENGINE
        source = ModelSource(
            location=location,
            converted=models.converted(location),
            dtype=endpoint.service_settings.get("dtype", DEFAULT_DTYPE),
            device=device,
            threads=settings.local_threads,
            max_rows=MAX_BATCH_SIZE,
            cache_dir=settings.data_dir / "models",
        )
        compute = models.context.shared(Compute)
        if engine == AUTO_GENERATION_ENGINE:
            return TextGenerator.auto(self._auto_engine(source), compute=compute)
        return TextGenerator(ENGINE_LOADERS[engine](source), compute=compute)

    def _auto_engine(self, source: ModelSource) -> AutoEngine:
        from hfgate.local.generation.auto import AutoEngine
        from hfgate.local.generation.engine_choice import MeasureTarget

        settings, location, stored = self.models.context.settings, source.location, self.endpoint.service_settings
        target = MeasureTarget(
            path=source.converted,
            task=stored.get("task") or detect_task(location),
            threads=settings.local_threads,
            min_cosine=float(stored.get("min_cosine", DEFAULT_MIN_COSINE)),
            attempts=settings.local_engine_measure_attempts,
            device=source.device,
        )
        return AutoEngine(
            source=source,
            target=target,
            folder=settings.local_engine_choices_dir or settings.data_dir / "models" / "engine-choice",
            record_source=location.path / location.gguf_file if location.gguf_file else location.path,
        )


async def record_task(models: LocalModels, endpoint: Endpoint) -> Endpoint:
    """Record whether the model is decoder-only or encoder-decoder (read from its config, fast).

    Raises:
        BadRequestError: the llama.cpp engine was asked for a model that is not GGUF.
    """
    location = models.location(endpoint)
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


def _chat_encoder(request: ChatRequest, plan: ToolPlan | None) -> Callable[[TextGenerator], list[int]]:
    """How the conversation becomes the prompt: the chat template, with the request's tools (when the
    model may call them) and its ``chat_template_kwargs``."""
    variables = template_kwargs(request.params.passthrough)
    if plan is None:
        return lambda g: g.encode_chat(request.messages, variables=variables)
    return lambda g: g.encode_chat(
        request.messages, tools=plan.tools, tool_prompt=request.tool_prompt, variables=variables
    )

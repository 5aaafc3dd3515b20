"""The ``local`` service's generation half: completions and chat, whole or streamed, tools included.

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
from hfgate.local.catalog import ModelLocation
from hfgate.local.compute import Compute
from hfgate.local.generation.architecture import detect_task
from hfgate.local.generation.engine_choice import AUTO_ENGINE as AUTO_GENERATION_ENGINE
from hfgate.local.generation.engine_choice import DEFAULT_MIN_COSINE, engine_device
from hfgate.local.generation.params import resolve_params
from hfgate.local.generation.request_fields import template_kwargs
from hfgate.local.gpu_memory import GpuClaim
from hfgate.registry.endpoint import Endpoint
from hfgate.services.local.base import LocalBase
from hfgate.services.local.generation_settings import DEFAULT_DTYPE
from hfgate.services.local.keys import generation_key
from hfgate.services.local.tools import ToolPlan, finish_stream, finish_whole, refuse_images, tool_plan
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


class GeneratingModels(LocalBase):
    """Generates with the endpoint's model, loaded once per process into the shared model cache."""

    async def generate(self, endpoint: Endpoint, request: GenerateRequest) -> Generation:
        return await self._complete(endpoint, lambda g: g.encode_prompt(request.prompt), given=request.params)

    def generate_stream(self, endpoint: Endpoint, request: GenerateRequest) -> AsyncIterator[GenerationDelta]:
        return self._stream(endpoint, lambda g: g.encode_prompt(request.prompt), given=request.params)

    async def chat(self, endpoint: Endpoint, request: ChatRequest) -> Generation:
        refuse_images(endpoint.service_settings["model"], request.messages)
        plan = tool_plan(request)
        encode = _chat_encoder(request, plan)
        if plan is None:
            return await self._complete(endpoint, encode, given=request.params)
        generation = await self._complete(endpoint, encode, given=plan.params)
        return finish_whole(plan, generation)

    def chat_stream(self, endpoint: Endpoint, request: ChatRequest) -> AsyncIterator[GenerationDelta]:
        refuse_images(endpoint.service_settings["model"], request.messages)
        plan = tool_plan(request)
        encode = _chat_encoder(request, plan)
        if plan is None:
            return self._stream(endpoint, encode, given=request.params)
        deltas = self._stream(endpoint, encode, given=plan.params)
        return finish_stream(plan, deltas)

    async def count_chat_tokens(self, endpoint: Endpoint, request: ChatRequest) -> int:
        """The length of the prompt :meth:`chat` would send the model: the chat template over the
        conversation, with the tools as the chat renders them (the model is loaded if it is not)."""
        refuse_images(endpoint.service_settings["model"], request.messages)
        return len(_chat_encoder(request, tool_plan(request))(await self._generator(endpoint)))

    async def _complete(
        self,
        endpoint: Endpoint,
        encode: Callable[[TextGenerator], list[int]],
        *,
        given: GenerationParams,
    ) -> Generation:
        """One whole generation (the orchestrator's deadline bounds it, queueing included)."""
        generator = await self._generator(endpoint)
        prompt = encode(generator)
        params = resolve_params(given)
        return await generator.complete(prompt, params)

    async def _stream(
        self,
        endpoint: Endpoint,
        encode: Callable[[TextGenerator], list[int]],
        *,
        given: GenerationParams,
    ) -> AsyncIterator[GenerationDelta]:
        """Deltas of one generation (the orchestrator's deadline bounds the wait for each, the first's
        queueing included); the model's sequence ends when the stream is closed, read to its end or not."""
        generator = await self._generator(endpoint)
        params = resolve_params(given)
        deltas = generator.stream(encode(generator), params)
        try:
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
        """The endpoint's loaded model; a first load happens once per process and carries on for the next
        request if this one gives up (its deadline, a client hanging up)."""
        location = self._location(endpoint)
        key = generation_key(endpoint, location)
        device = await self._generation_device(endpoint)
        name = str(endpoint.service_settings["model"])

        def claim() -> GpuClaim | None:  # its transformers copy's weights (a GGUF model's converted first)
            converted = ModelLocation(model_id=location.model_id, path=self._converted(location))
            return self._gpu_claim(converted, name=name, device=device)

        gpu = claim if device.startswith("cuda") else None
        return await self._cached(endpoint, key, lambda: self._load_generator(endpoint, device=device), gpu=gpu)

    async def _generation_device(self, endpoint: Endpoint) -> str:
        """Where the endpoint's model computes: the in-process device for transformers and ``auto``, the
        CPU for the CPU engines."""
        engine = endpoint.service_settings.get("engine") or AUTO_GENERATION_ENGINE
        return engine_device(engine, await self._in_process_device())

    async def _generation_choice(self, endpoint: Endpoint) -> MeasuredChoice:
        """The engine that generates for ``endpoint``: ``engine`` as set (on the GPU it runs on, named), or
        with ``auto`` the fastest qualifying one measured on this CPU or GPU (while that is measured: the
        exact default that serves)."""
        from hfgate.local.generation.engine_choice import set_engine
        from hfgate.local.machine import machine_of

        settings = endpoint.service_settings
        engine = settings.get("engine") or AUTO_GENERATION_ENGINE
        min_cosine = float(settings.get("min_cosine", DEFAULT_MIN_COSINE))
        if engine != AUTO_GENERATION_ENGINE:
            device = await self._generation_device(endpoint)
            on = await asyncio.to_thread(lambda: machine_of(device).describe()) if device != "cpu" else None
            return set_engine(engine, dtype=settings.get("dtype", DEFAULT_DTYPE), min_cosine=min_cosine, on=on)
        choice = (await self._generator(endpoint)).engine_choice
        assert choice is not None, "an auto generator always has its choice"
        return choice

    def _load_generator(self, endpoint: Endpoint, *, device: str) -> TextGenerator:
        from hfgate.local.generation.engine import MAX_BATCH_SIZE, TextGenerator
        from hfgate.local.generation.loading import ENGINE_LOADERS, ModelSource

        settings = self.context.settings
        location = self._location(endpoint)
        engine = endpoint.service_settings.get("engine") or AUTO_GENERATION_ENGINE
        source = ModelSource(
            location=location,
            converted=self._converted(location),
            dtype=endpoint.service_settings.get("dtype", DEFAULT_DTYPE),
            device=device,
            threads=settings.local_threads,
            max_rows=MAX_BATCH_SIZE,
            cache_dir=settings.data_dir / "models",
        )
        if engine == AUTO_GENERATION_ENGINE:
            return TextGenerator.auto(self._auto_engine(endpoint, source), compute=self.context.shared(Compute))
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
            attempts=settings.local_engine_measure_attempts,
            device=source.device,
        )
        return AutoEngine(
            source=source,
            target=target,
            folder=settings.local_engine_choices_dir or settings.data_dir / "models" / "engine-choice",
            record_source=location.path / location.gguf_file if location.gguf_file else location.path,
        )


def _chat_encoder(request: ChatRequest, plan: ToolPlan | None) -> Callable[[TextGenerator], list[int]]:
    """How the conversation becomes the prompt: the chat template, with the request's tools (when the
    model may call them) and its ``chat_template_kwargs``."""
    variables = template_kwargs(request.params.passthrough)
    if plan is None:
        return lambda g: g.encode_chat(request.messages, variables=variables)
    return lambda g: g.encode_chat(
        request.messages, tools=plan.tools, tool_prompt=request.tool_prompt, variables=variables
    )

"""What every part of the ``local`` service shares: where an endpoint's model is on disk (found once per endpoint,
``placements``), the shared model cache it loads into (:class:`LocalModels`), and the base of the model objects its
endpoints' requests call (:class:`LocalModel`), loading as their first request settled (:class:`Loader`)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable, Coroutine, Sequence
from concurrent.futures import Future
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Generic, TypeVar

from hfgate.errors import HfGateError
from hfgate.local.batching import BatchLimits
from hfgate.local.cache import Compute, LoadedModel, ModelCache
from hfgate.local.catalog import ModelLocation, resolve_model
from hfgate.local.device import resolve_device
from hfgate.local.embedding.encoding import tokenizer_processes
from hfgate.local.gpu_memory import MIB, GpuClaim
from hfgate.local.hub.downloads import HubDownloads
from hfgate.local.hub.fetch import Resolved
from hfgate.local.measuring.record import model_files_digest
from hfgate.local.tokenizer import ModelTokenizer
from hfgate.local.weights_size import float32_bytes
from hfgate.registry.endpoint import Endpoint
from hfgate.services.base import Model, Service, ServiceContext
from hfgate.services.local.hub import (
    download_state,
    find,
    hub_model_of,
    hub_source,
    not_ready,
    pin,
    planned,
    revision_of,
)
from hfgate.services.local.keys import tokenizer_key
from hfgate.services.local.model_check import refuse_other_kind
from hfgate.services.local.placements import Placements
from hfgate.tasks import TaskType, TokenSpan

log = logging.getLogger("hfgate.services.local")

M = TypeVar("M", bound=LoadedModel)
T = TypeVar("T", bound=LoadedModel)  # any model the cache holds (a tokenizer too)

# A model's dense vectors, sparse vectors and rerank scores: three key spaces, kept and removed apart.
KINDS = {TaskType.TEXT_EMBEDDING: "local", TaskType.SPARSE_EMBEDDING: "local-sparse", TaskType.RERANK: "local-rerank"}


class LocalModels:
    """Where the service's models are and how they load: the lookups every local model object and the
    service's create-time checks use.

    Args:
        context: the process-wide resources (the model cache, the compute thread, the Hub downloads).
        warm: loads an endpoint's model (the service's ``warm``), called once its download is done.
    """

    def __init__(self, context: ServiceContext, *, warm: Callable[[Endpoint], Coroutine[Any, Any, None]]) -> None:
        self.context = context
        self._warm = warm
        self._loading: set[str] = set()  # endpoints whose model loads after its download
        self._device: str | None = None  # HFGATE_LOCAL_DEVICE resolved (once); None until then
        self._placements = Placements()

    def forget(self, endpoint: Endpoint) -> None:
        """Forget where ``endpoint``'s model was (it changed or went)."""
        self._placements.forget(endpoint)

    def location(self, endpoint: Endpoint) -> ModelLocation:
        """Where the model is: looked up once per endpoint (a warm endpoint's request reads no file); a Hub
        model not in the cache yet starts downloading.

        Raises:
            ModelNotReadyError: the Hub model is downloading (503, Retry-After).
            HfGateError: its download failed (the reason), or a directory or package is missing.
        """
        location = self._placements.get(endpoint)
        if location is None:
            location = self._look_up(endpoint)
            self._placements.keep(endpoint, location)
        return location

    def _look_up(self, endpoint: Endpoint) -> ModelLocation:
        settings = endpoint.service_settings
        model = hub_model_of(endpoint)
        if model is None:
            return resolve_model(settings["model"], gguf_file=settings.get("gguf_file"))
        source = hub_source(self.context, endpoint)
        found = find(source, model, settings)
        if found is not None:
            return found
        downloads = self.context.shared(HubDownloads)
        revision = revision_of(settings)
        downloads.start(source, model, revision=revision, gguf=settings.get("gguf_file"))
        raise not_ready(endpoint, model, downloads.state(model.repo_id, revision))

    async def in_process_device(self) -> str:
        """Where in-process embedding, rerank and sparse models run, and generation models on transformers:
        ``HFGATE_LOCAL_DEVICE`` resolved once (off the event loop: ``auto`` imports torch to ask it)."""
        if self._device is None:
            self._device = await asyncio.to_thread(resolve_device, self.context.settings.local_device)
        return self._device

    def gpu_claim(self, location: ModelLocation, *, name: str, device: str) -> GpuClaim | None:
        """What the model will take on its GPU (its float32 weights and the reserve); ``None`` on the CPU."""
        if not device.startswith("cuda"):
            return None
        reserve = self.context.settings.local_gpu_reserve_mb * MIB
        return GpuClaim(model=name, device=device, weights=float32_bytes(location.path), reserve=reserve)

    def found(self, endpoint: Endpoint) -> ModelLocation | None:
        """Where the model is when this machine has it; starts nothing."""
        model = hub_model_of(endpoint)
        if model is None:
            try:
                return self.location(endpoint)
            except HfGateError:  # its directory or package is gone
                return None
        return find(hub_source(self.context, endpoint), model, endpoint.service_settings)

    async def pin_hub_model(self, endpoint: Endpoint) -> Endpoint:
        """For a Hub model: the commit recorded and, unless the cache has it, its download started (the
        model is then loaded in the background); the endpoint as given otherwise.

        Raises:
            BadRequestError: the model does not do the endpoint's task (read from its config files).
        """
        model = hub_model_of(endpoint)
        if model is None:
            return endpoint
        source = hub_source(self.context, endpoint)
        pinned, resolved = await pin(source, model, endpoint)
        if find(source, model, pinned.service_settings) is None:
            refuse_other_kind(pinned, planned(source, model, pinned.service_settings))  # before any weights
            self._download(pinned, resolved)
        return pinned

    def _download(self, endpoint: Endpoint, resolved: Resolved) -> None:
        model = hub_model_of(endpoint)
        assert model is not None
        source = hub_source(self.context, endpoint)
        done = self.context.shared(HubDownloads).start(source, model, revision=resolved.commit, resolved=resolved)
        loop = asyncio.get_running_loop()
        done.add_done_callback(lambda f: _call_soon(loop, self._load_downloaded, endpoint, f))

    def _load_downloaded(self, endpoint: Endpoint, done: Future[Path]) -> None:
        if done.exception() is not None:
            return
        self._loading.add(endpoint.inference_id)
        task = asyncio.get_running_loop().create_task(self._warm(endpoint))
        task.add_done_callback(lambda t: self._loaded_after_download(endpoint, t))

    def _loaded_after_download(self, endpoint: Endpoint, task: asyncio.Task[None]) -> None:
        self._loading.discard(endpoint.inference_id)
        if not task.cancelled() and task.exception() is not None:
            log.warning(
                "model load after download failed",
                extra={"event": "model.load.fail", "endpoint": endpoint.inference_id, "reason": str(task.exception())},
            )

    def hub_state(self, endpoint: Endpoint) -> dict[str, Any]:
        """``model_state`` of a Hub model that is not loaded: downloading, failed, loading, downloaded."""
        model = hub_model_of(endpoint)
        if model is None:
            return {}
        if endpoint.inference_id in self._loading:
            return {"state": "loading"}
        source = hub_source(self.context, endpoint)
        return download_state(self.context.shared(HubDownloads), source, model, endpoint.service_settings)

    def converted(self, location: ModelLocation) -> Path:
        """The model in transformers' format (a GGUF model converted once under the data directory)."""
        from hfgate.local.generation.gguf_cache import ensure_converted

        return ensure_converted(location, models_dir=self.context.settings.data_dir / "models")

    def tokenizer_location(self, location: ModelLocation) -> ModelLocation:
        """Where the tokenizer loads fast: a GGUF model's converted copy holds it as ``tokenizer.json``
        (read from the GGUF itself, its vocabulary is parsed in Python: a minute on a small machine)."""
        if location.gguf_file is None:
            return location
        return ModelLocation(model_id=location.model_id, path=self.converted(location))


def _call_soon(loop: asyncio.AbstractEventLoop, callback: Any, *args: Any) -> None:
    """``callback(*args)`` on ``loop`` from the download's thread; nothing once the loop is closed."""
    # RuntimeError: the app stopped while the model downloaded; it loads at its first request.
    with contextlib.suppress(RuntimeError):
        loop.call_soon_threadsafe(callback, *args)


@dataclass(frozen=True, slots=True)
class Loader(Generic[M]):
    """How an endpoint's model loads into the shared model cache: where its files are, the cache's key for
    it, what loads it and what it claims on a GPU (``None``: nothing, it runs on the CPU)."""

    location: ModelLocation
    key: str
    load: Callable[[], M]
    gpu: Callable[[], GpuClaim | None] | None = None


class LocalModel(Model, Generic[M]):
    """An endpoint of the ``local`` service opened for requests, whose model (an ``M``) is loaded into the
    shared model cache. Where the model is and how it loads are settled by the first request and kept
    (:meth:`loaded`): a warm endpoint's request only asks the model cache for it."""

    def __init__(self, service: Service, endpoint: Endpoint, *, models: LocalModels) -> None:
        super().__init__(service, endpoint)
        self.models = models
        self.name = str(endpoint.service_settings["model"])
        self._cache = models.context.shared(ModelCache)
        self._loader: Loader[M] | None = None
        self._identity: str | None = None

    async def load(self) -> None:
        """Load what the endpoint's requests need (``Service.warm``); nothing by default."""

    def location(self) -> ModelLocation:
        """Where the model is: found by the first request, kept (:meth:`LocalModels.location` says what it raises)."""
        return self.models.location(self.endpoint)

    async def loaded(self, settle: Callable[[], Awaitable[Loader[M]]]) -> tuple[M, ModelLocation]:
        """The endpoint's model and where its files are; ``settle`` says how it loads, asked by the first
        request and again after a failed load (see :meth:`cached`)."""
        loader = self._loader
        if loader is None:
            loader = self._loader = await settle()
        return await self.cached(loader.key, loader.load, gpu=loader.gpu), loader.location

    async def cached(self, key: str, load: Callable[[], T], *, gpu: Callable[[], GpuClaim | None] | None = None) -> T:
        """The model the shared cache holds under ``key``, loaded with ``load`` on first use; a first load carries
        on for the next request if this one gives up (its deadline, a client hanging up). A failed load forgets
        where the model was and how it loads, and looks again: a Hub model whose folder went meanwhile answers as
        one not downloaded (503 while it downloads again), any other failure as it failed."""
        try:
            return await self._cache.get(key, load, gpu=gpu)
        except Exception as failed:
            self._loader = self._identity = None
            self.models.forget(self.endpoint)
            try:
                self.location()
            except HfGateError as gone:
                raise gone from failed
            raise

    async def batched(self, kind: Callable[..., M], *, key: Callable[[ModelLocation], str]) -> M:
        """The endpoint's model of class ``kind`` (a cross-encoder, a SPLADE model: batched on the compute
        thread), loaded once per process into the shared model cache under ``key``."""

        async def settle() -> Loader[M]:
            models, location, name = self.models, self.location(), self.name
            settings, compute = models.context.settings, models.context.shared(Compute)
            device = await models.in_process_device()
            limits = BatchLimits.from_settings(settings, device=device)
            processes = tokenizer_processes(settings.local_tokenizer_processes, device=device, workers=settings.workers)
            return Loader(
                location,
                key(location),
                lambda: kind(
                    location.path,
                    compute=compute,
                    limits=limits,
                    name=name,
                    threads=settings.local_threads,
                    device=device,
                    tokenizer_processes=processes,
                ),
                gpu=lambda: models.gpu_claim(location, name=name, device=device),
            )

        return (await self.loaded(settle))[0]

    @property
    def vector_model(self) -> str | None:  # type: ignore[override]  # read from the files once
        """The model's files (names, sizes, modification times; a Hub model's at its commit) for its dense
        vectors, sparse vectors or rerank scores; read at the first request and kept, as the loaded model
        is: weights replaced under a running server count from its next start, for both together."""
        kind = KINDS.get(self.endpoint.task_type)
        if kind is None:
            return None
        if self._identity is None:
            self._identity = f"{kind}|{model_files_digest(self.location().path, 'embed-cache')}"
        return self._identity

    async def tokenize(self, texts: Sequence[str], *, add_special_tokens: bool = True) -> list[list[TokenSpan]]:
        tokenizer = await self._tokenizer()
        return [tokenizer.spans(text, add_special_tokens=add_special_tokens) for text in texts]

    async def decode(self, ids: Sequence[Sequence[int]], *, skip_special_tokens: bool = True) -> list[str]:
        return (await self._tokenizer()).decode(ids, skip_special_tokens=skip_special_tokens)

    async def _tokenizer(self) -> ModelTokenizer:
        at = self.location()
        return await self.cached(tokenizer_key(at), lambda: ModelTokenizer(self.models.tokenizer_location(at)))

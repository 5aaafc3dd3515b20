"""The process's local models: the cache of loaded ones, with a memory budget, and the one thread where
they compute (:class:`Compute`).

Each model is loaded once even when many requests ask for it together (the first caller loads it in
a worker thread, the others wait for the same load), and the least recently used models are evicted
when the loaded ones exceed the budget. A model bound for a GPU is admitted there first by the GPU
memory rule (``gpu_memory``): its idle neighbours on that GPU are evicted to make room, or the load is
refused with 507 before any weight moves. A model loaded on its default engine while its engines are
measured gets its background switch started here (``measuring.switch``).

The compute thread is fed in arrival order. Torch already spreads one forward pass over every core, so running two
passes at once only makes both slower. Every local engine submits its work here in small steps (one embedding batch,
one decoding step), so a long generation yields to a short embedding request between steps instead of starving it,
and the event loop stays free to serve HTTP while a model computes.
"""

from __future__ import annotations

import asyncio
import errno
import logging
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, ParamSpec, Protocol, TypeVar

from hfgate.errors import StorageFullError
from hfgate.local.gpu_memory import GpuClaim, GpuProbe, Resident, TorchGpu, make_room
from hfgate.local.measuring.switch import start_switch
from hfgate.telemetry.metrics import MODEL_LOAD_SECONDS

log = logging.getLogger("hfgate.local")

T = TypeVar("T", bound="LoadedModel")


class LoadedModel(Protocol):
    """What the cache needs of a loaded model."""

    @property
    def memory_bytes(self) -> int:
        """Approximate resident size, for the memory budget."""
        ...

    def close(self) -> None:
        """Release what the model holds (threads, buffers) when evicted."""
        ...


@dataclass(slots=True)
class _Entry:
    model: Any
    last_used: float
    gpu: GpuClaim | None = None


class ModelCache:
    """Loaded models by key, least recently used first out.

    Args:
        budget_bytes: evict models until the loaded ones fit in memory (the newest always stays).
        gpu: where a GPU's free memory is read (torch's figures; a test gives numbers).

    Example:
        >>> cache = ModelCache(budget_bytes=4 << 30)
        >>> # model = await cache.get("minilm", load_minilm)
    """

    def __init__(self, *, budget_bytes: int, gpu: GpuProbe | None = None) -> None:
        self._budget = budget_bytes
        self._gpu = gpu or TorchGpu()
        # One GPU admission at a time: two loads that each fit alone must not both be admitted.
        self._gpu_admission = asyncio.Lock()
        self._entries: OrderedDict[str, _Entry] = OrderedDict()
        self._loading: dict[str, asyncio.Task[Any]] = {}
        # One load at a time per process: two first loads at once (an embedding model and a generator)
        # raced in transformers' lazy imports ("module 'transformers' has no attribute 'AutoTokenizer'",
        # found by bench/soak.py), and on a few cores concurrent loads gain nothing anyway.
        self._one_load = threading.Lock()

    async def get(self, key: str, loader: Callable[[], T], *, gpu: Callable[[], GpuClaim | None] | None = None) -> T:
        """The model under ``key``, loading it with ``loader`` (in a worker thread) on first use; ``gpu``
        says, when it loads (in a worker thread), what it will take on its GPU (``None``: it runs on the
        CPU), and the GPU memory rule admits it before ``loader`` runs.

        Raises:
            GpuMemoryFullError: ``gpu`` does not fit even with hfgate's other models there evicted (507).
        """
        entry = self._entries.get(key)
        if entry is not None:
            self._entries.move_to_end(key)
            entry.last_used = time.monotonic()
            model: T = entry.model
            return model
        pending = self._loading.get(key)
        if pending is not None:
            loaded: T = await asyncio.shield(pending)
            return loaded
        return await self._load(key, loader, gpu)

    def loaded(self) -> list[str]:
        """Keys of the loaded models, least recently used first."""
        return list(self._entries)

    def peek(self, key: str) -> Any | None:
        """The model under ``key`` if it is loaded, without loading it or touching its recency."""
        entry = self._entries.get(key)
        return None if entry is None else entry.model

    def resident_bytes(self) -> int:
        """Sum of the loaded models' sizes."""
        return sum(int(e.model.memory_bytes) for e in self._entries.values())

    def release(self, key: str) -> bool:
        """Unload the model under ``key`` (its endpoint was deleted or changed); ``True`` if it was loaded."""
        entry = self._entries.pop(key, None)
        if entry is None:
            return False
        log.info("releasing model", extra={"event": "model.release", "model": key})
        entry.model.close()
        return True

    def close(self) -> None:
        """Release every loaded model."""
        while self._entries:
            _, entry = self._entries.popitem(last=False)
            entry.model.close()

    async def _load(self, key: str, loader: Callable[[], T], gpu: Callable[[], GpuClaim | None] | None) -> T:
        # The load is a task of its own: a caller that gives up (its timeout, a client hanging up) must
        # not cancel it, or every request waiting for the same model got that CancelledError (uvicorn's
        # bare 500s in bench/soak.py). It carries on, and the next request finds the model loaded.
        task = asyncio.get_running_loop().create_task(self._claimed(key, loader, gpu), name=f"hfgate-load-{key}")
        self._loading[key] = task
        task.add_done_callback(lambda done: self._settle(key, done))
        model: T = await asyncio.shield(task)
        return model

    def _settle(self, key: str, task: asyncio.Task[Any]) -> None:
        self._loading.pop(key, None)
        if not task.cancelled():
            task.exception()  # retrieved: the waiters re-raise it, nobody else must

    async def _claimed(self, key: str, loader: Callable[[], T], gpu: Callable[[], GpuClaim | None] | None) -> T:
        """Load, first asking ``gpu`` (off the event loop: it may read the weights' headers) what the model
        will take on its GPU; the GPU memory rule admits a model that takes some."""
        claim = await asyncio.to_thread(gpu) if gpu is not None else None
        return await (self._admitted(key, loader, claim) if claim is not None else self._loaded(key, loader))

    async def _admitted(self, key: str, loader: Callable[[], T], gpu: GpuClaim) -> T:
        async with self._gpu_admission:
            free = await asyncio.to_thread(self._gpu.free_bytes, gpu.device)
            residents = [Resident(k, e.gpu) for k, e in self._entries.items() if e.gpu is not None]
            victims = make_room(gpu, free=free, residents=residents)
            for victim in victims:
                self._evict(victim)
            if victims:
                await asyncio.to_thread(self._gpu.release_cached, gpu.device)
            return await self._loaded(key, loader, gpu)

    async def _loaded(self, key: str, loader: Callable[[], T], gpu: GpuClaim | None = None) -> T:
        started = time.perf_counter()
        log.info("loading model", extra={"event": "model.load.start", "model": key})
        model = await asyncio.to_thread(self._load_alone, loader)
        seconds = round(time.perf_counter() - started, 2)
        MODEL_LOAD_SECONDS(key).observe(time.perf_counter() - started)
        log.info(
            "model loaded",
            extra={"event": "model.load.done", "model": key, "seconds": seconds, "bytes": model.memory_bytes},
        )
        self._entries[key] = _Entry(model=model, last_used=time.monotonic(), gpu=gpu)
        self._evict_beyond_budget(keep=key)
        start_switch(key, model, one_load=self._one_load, loop=asyncio.get_running_loop())
        return model

    def _load_alone(self, loader: Callable[[], T]) -> T:
        with self._one_load:
            try:
                return loader()
            except Exception as exc:
                if not _disk_full(exc):
                    raise
                # Caches are written to a scratch directory and renamed: nothing half-written stays.
                raise StorageFullError(
                    "No space left on the disk to write the model's converted cache (HFGATE_DATA_DIR/models); "
                    "nothing was kept; free space there and retry"
                ) from exc

    def _evict_beyond_budget(self, *, keep: str) -> None:
        while self.resident_bytes() > self._budget and len(self._entries) > 1:
            self._evict(next(k for k in self._entries if k != keep))

    def _evict(self, key: str) -> None:
        entry = self._entries.pop(key)
        log.info("evicting model", extra={"event": "model.evict", "model": key})
        entry.model.close()


def _disk_full(exc: BaseException) -> bool:
    """ENOSPC, as an OSError or inside a library's own error (safetensors says "os error 28")."""
    if isinstance(exc, OSError) and exc.errno == errno.ENOSPC:
        return True
    return "No space left on device" in str(exc)


P = ParamSpec("P")
R = TypeVar("R")


class Compute:
    """A single worker thread with a FIFO queue of model steps.

    Example:
        >>> compute = Compute()
        >>> # vectors = await compute.run(model.encode, texts)
    """

    def __init__(self) -> None:
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="hfgate-compute")

    async def run(self, fn: Callable[P, R], *args: P.args, **kwargs: P.kwargs) -> R:
        """Run ``fn`` on the compute thread after the steps queued before it."""
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._executor, lambda: fn(*args, **kwargs))

    def submit(self, fn: Callable[[], R]) -> Future[R]:
        """Queue ``fn`` from any thread (no event loop needed), after the steps queued before it."""
        return self._executor.submit(fn)

    def close(self) -> None:
        self._executor.shutdown(wait=False, cancel_futures=True)

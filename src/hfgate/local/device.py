"""Which device local models run on: ``HFGATE_LOCAL_DEVICE`` (``auto``, ``cpu``, ``cuda`` or ``cuda:N``)
resolved against what torch sees on this machine.

``Settings`` checks the spelling; this module checks the machine, once per process: ``auto`` is the
first CUDA device when torch sees one, else the CPU; a ``cuda`` this machine lacks is an error at
start, naming the setting.
"""

from __future__ import annotations

import functools
import importlib.metadata
import sys

from hfgate.errors import DeviceUnavailableError

CPU = "cpu"
AUTO = "auto"


def resolve_device(setting: str) -> str:
    """The device ``setting`` names on this machine: ``cpu``, ``cuda`` or ``cuda:N``.

    Raises:
        DeviceUnavailableError: ``cuda`` (or ``cuda:N``) is asked for where torch sees no such GPU.

    Example:
        >>> resolve_device("cpu")
        'cpu'
    """
    if setting == CPU:
        return CPU
    count = cuda_device_count()
    if setting == AUTO:
        return "cuda" if count else CPU
    index = int(setting.partition(":")[2] or 0)
    if index >= count:
        seen = f"torch sees {count} CUDA device(s)" if count else "torch sees no CUDA device (or is a CPU build)"
        raise DeviceUnavailableError(
            f"HFGATE_LOCAL_DEVICE is [{setting}] but {seen}; set HFGATE_LOCAL_DEVICE=auto or cpu, or run "
            "hfgate where that GPU and a CUDA build of torch are"
        )
    return setting


@functools.cache
def cuda_device_count() -> int:
    """CUDA devices torch sees here (0 without torch or with its CPU build); torch is imported once, and
    not at all for a CPU build: importing it takes seconds, which a first embedding on ONNX Runtime would
    otherwise wait for (docs/benchmarks/first-answer.md). Once torch is imported it is asked, whatever its build."""
    if "torch" not in sys.modules and _cpu_build():
        return 0
    try:
        import torch
    except ImportError:
        return 0
    return int(torch.cuda.device_count()) if torch.cuda.is_available() else 0


def _cpu_build() -> bool:
    """Whether the installed torch is missing or a CPU build (its version's local tag ``+cpu``), read from
    its metadata without importing it."""
    try:
        version = importlib.metadata.version("torch")
    except importlib.metadata.PackageNotFoundError:
        return True
    return version.partition("+")[2] == "cpu"

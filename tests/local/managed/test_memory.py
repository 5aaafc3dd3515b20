"""A managed vLLM's memory on a CPU: the KV cache sized from what is free under the memory rule, the 507
when even the smallest does not fit, and the memory node read as vLLM reads it (the node's meminfo, the
cgroup's limit). The real vLLM under memory pressure: tests/engines/test_managed_vllm_memory.py."""

from __future__ import annotations

from pathlib import Path

import pytest

from hfgate.errors import HostMemoryFullError
from hfgate.local.managed import memory
from hfgate.local.managed.memory import (
    GIB,
    MAX_KV_CACHE_BYTES,
    MIB,
    MIN_KV_CACHE_BYTES,
    RUNTIME_BYTES,
    NodeMemory,
    plan_cpu_memory,
    read_node_memory,
    smallest_claim,
)


def node(available: int, total: int = 24 * GIB) -> NodeMemory:
    return NodeMemory(node=0, total=total, available=available)


def test_the_kv_cache_is_half_of_what_stays_free_beside_the_weights_and_vllms_processes() -> None:
    plan = plan_cpu_memory(model="smol", weights=540 * MIB, memory=node(6 * GIB))
    assert plan.kv_cache == (6 * GIB - 540 * MIB - RUNTIME_BYTES) // 2
    assert plan.total == 540 * MIB + RUNTIME_BYTES + plan.kv_cache
    assert plan.args() == ("--kv-cache-memory-bytes", str(plan.kv_cache))


def test_the_kv_cache_is_at_most_vllms_old_default_and_whole_mebibytes() -> None:
    assert plan_cpu_memory(model="m", weights=GIB, memory=node(20 * GIB)).kv_cache == MAX_KV_CACHE_BYTES
    odd = plan_cpu_memory(model="m", weights=GIB + 12345, memory=node(5 * GIB))
    assert odd.kv_cache % MIB == 0


def test_a_server_that_cannot_fit_the_smallest_kv_cache_is_refused_with_507_naming_the_numbers() -> None:
    weights = 540 * MIB
    fits = smallest_claim(weights)
    assert plan_cpu_memory(model="smol", weights=weights, memory=node(fits)).kv_cache == MIN_KV_CACHE_BYTES
    with pytest.raises(HostMemoryFullError) as refused:
        plan_cpu_memory(model="smol", weights=weights, memory=node(fits - MIB, total=12 * GIB))
    assert refused.value.status == 507
    assert refused.value.reason.startswith(
        f"The managed vLLM of [smol] needs {fits // MIB} MiB of memory on the CPU's memory node 0 (540 MiB of "
        f"weights in float32 + {RUNTIME_BYTES // MIB} MiB for vLLM's processes + {MIN_KV_CACHE_BYTES // MIB} MiB "
        f"of KV cache, and as much again left free) but {(fits - MIB) // MIB} MiB of its 12288 MiB are available"
    )
    assert "set HFGATE_VLLM_GPU_MEMORY_SHARE" in refused.value.reason


def test_this_machines_memory_node_is_read() -> None:
    read = read_node_memory()
    assert 0 < read.available <= read.total


def fake_system(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, *, cgroup: tuple[str, str] | None) -> None:
    """A sysfs of one memory node (and a cgroup v2 limit when given) under ``tmp_path``."""
    nodes, cpus, groups = tmp_path / "node", tmp_path / "cpu", tmp_path / "cgroup"
    (nodes / "node1").mkdir(parents=True)
    (nodes / "node1" / "meminfo").write_text(
        "Node 1 MemTotal:       8388608 kB\nNode 1 MemFree:        1048576 kB\nNode 1 MemUsed:        7340032 kB\n"
        "Node 1 Active(file):     524288 kB\nNode 1 Inactive(file):   524288 kB\nNode 1 SReclaimable:    262144 kB\n"
    )
    for cpu in range(64):
        (cpus / f"cpu{cpu}" / "node1").mkdir(parents=True)
    groups.mkdir()
    if cgroup is not None:
        (groups / "memory.max").write_text(cgroup[0])
        (groups / "memory.current").write_text(cgroup[1])
    monkeypatch.setattr(memory, "_NODES", nodes)
    monkeypatch.setattr(memory, "_CPUS", cpus)
    monkeypatch.setattr(memory, "_CGROUP", groups)


def test_the_node_of_the_first_cpu_counts_free_file_pages_and_reclaimable_slabs_as_vllm_does(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    fake_system(tmp_path, monkeypatch, cgroup=("max", "0"))
    assert read_node_memory() == NodeMemory(node=1, total=8 * GIB, available=(1024 + 512 + 512 + 256) * MIB)


def test_a_cgroup_limit_below_the_node_bounds_its_total_and_what_is_available(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    fake_system(tmp_path, monkeypatch, cgroup=(str(4 * GIB), str(3 * GIB)))
    assert read_node_memory() == NodeMemory(node=1, total=4 * GIB, available=GIB)

"""The GPU memory rule in numbers: who is evicted to make room, and the 507 that names the model and the
free memory when nothing makes enough; then the model cache applying it before a load."""

from __future__ import annotations

import pytest

from hfgate.errors import GpuMemoryFullError
from hfgate.local.cache import ModelCache
from hfgate.local.catalog import resolve_model
from hfgate.local.gpu_memory import MIB, GpuClaim, Resident, make_room
from hfgate.local.weights_size import float32_bytes, parameter_count


def claim(model: str, weights_mib: int, *, reserve_mib: int = 100, device: str = "cuda") -> GpuClaim:
    return GpuClaim(model=model, device=device, weights=weights_mib * MIB, reserve=reserve_mib * MIB)


def resident(key: str, weights_mib: int, *, device: str = "cuda") -> Resident:
    return Resident(key, claim(key, weights_mib, device=device))


def test_a_model_that_fits_in_the_free_memory_evicts_nobody() -> None:
    assert make_room(claim("new", 300), free=1000 * MIB, residents=[resident("a", 200)]) == []


def test_the_reserves_of_models_already_there_count_as_taken() -> None:
    # 450 free, but "a" may take its 100 MiB reserve back for a pass: 350 is not enough for 400.
    assert make_room(claim("new", 300), free=450 * MIB, residents=[resident("a", 200)]) == ["a"]


def test_the_least_recently_used_go_first_and_only_as_many_as_needed() -> None:
    residents = [resident("old", 100), resident("middle", 100), resident("recent", 100)]
    # room: 500 - 3x100 reserves = 200; "old" gives 200 more (weights + reserve): 400 covers 400.
    assert make_room(claim("new", 300), free=500 * MIB, residents=residents) == ["old"]


def test_models_on_another_gpu_are_neither_counted_nor_evicted() -> None:
    residents = [resident("elsewhere", 5000, device="cuda:1"), resident("here", 100, device="cuda:0")]
    room = make_room(claim("new", 300, device="cuda:0"), free=300 * MIB, residents=residents)
    assert room == ["here"]


def test_a_model_that_does_not_fit_is_a_507_naming_the_model_and_the_free_memory() -> None:
    with pytest.raises(GpuMemoryFullError) as raised:
        make_room(claim("BAAI/bge-m3", 2200, reserve_mib=1024), free=1500 * MIB, residents=[resident("a", 200)])
    assert raised.value.status == 507
    assert raised.value.reason.startswith(
        "The local model [BAAI/bge-m3] needs 3224 MiB of GPU memory on [cuda] (2200 MiB of weights + 1024 MiB "
        "for its passes, HFGATE_LOCAL_GPU_RESERVE_MB) but 1500 MiB are free there, with 200 MiB held by "
        "hfgate's other models on it"
    )
    assert "HFGATE_LOCAL_DEVICE=cpu" in raised.value.reason


def test_the_weights_are_counted_from_the_safetensors_headers_without_loading_them() -> None:
    from safetensors import safe_open

    path = resolve_model("all-MiniLM-L6-v2").path
    with safe_open(str(path / "model.safetensors"), framework="np") as weights:
        stored = sum(weights.get_tensor(name).size for name in weights.keys())  # noqa: SIM118
    assert parameter_count(path / "model.safetensors") == stored
    assert float32_bytes(path) == stored * 4


class Numbers:
    """A GPU as numbers: the free memory the driver would report, and what evicting gave back."""

    def __init__(self, free: int) -> None:
        self.free = free
        self.released: list[str] = []

    def free_bytes(self, device: str) -> int:
        return self.free

    def release_cached(self, device: str) -> None:
        self.released.append(device)


class OnGpu:
    memory_bytes = 0  # its weights are on the GPU

    def __init__(self) -> None:
        self.closed = False

    def close(self) -> None:
        self.closed = True


async def test_the_cache_evicts_a_gpu_model_to_make_room_and_hands_its_memory_back() -> None:
    gpu = Numbers(free=450 * MIB)
    cache = ModelCache(budget_bytes=1 << 30, gpu=gpu)
    first = await cache.get("a", OnGpu, gpu=lambda: claim("a", 200))
    await cache.get("cpu-model", OnGpu)  # no claim: on the CPU, never evicted for the GPU
    await cache.get("b", OnGpu, gpu=lambda: claim("b", 300))
    assert first.closed
    assert cache.loaded() == ["cpu-model", "b"]
    assert gpu.released == ["cuda"]


async def test_the_cache_refuses_a_gpu_model_that_cannot_fit_and_loads_nothing() -> None:
    cache = ModelCache(budget_bytes=1 << 30, gpu=Numbers(free=100 * MIB))
    loads: list[OnGpu] = []

    def load() -> OnGpu:
        loads.append(OnGpu())
        return loads[-1]

    with pytest.raises(GpuMemoryFullError, match=r"The local model \[big\] needs 400 MiB"):
        await cache.get("big", load, gpu=lambda: claim("big", 300))
    assert loads == []
    assert cache.loaded() == []

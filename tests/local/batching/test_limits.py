"""The bounds of a pass: set by the settings, else a GPU's (TEI's token budget) or the CPU's for its cores."""

from __future__ import annotations

import pytest

from hfgate.config import Settings
from hfgate.local.batching import BatchLimits, pack_by_length
from hfgate.local.batching.limits import GPU_LIMITS, default_limits


def test_on_two_cores_a_cpu_pass_holds_1024_tokens_and_32_texts_as_measured_there() -> None:
    limits = BatchLimits.from_settings(Settings(local_queue_size=99, local_threads=2))
    assert (limits.max_batch_tokens, limits.max_batch_size, limits.queue_size) == (1024, 32, 99)


@pytest.mark.parametrize(
    ("cores", "tokens", "texts"), [(1, 1024, 32), (3, 1024, 32), (16, 8192, 256), (64, 32768, 1024)]
)
def test_on_more_cores_a_cpu_pass_holds_that_much_per_pair_of_cores(cores: int, tokens: int, texts: int) -> None:
    limits = default_limits("cpu", threads=cores)
    assert (limits.max_batch_tokens, limits.max_batch_size) == (tokens, texts)
    assert limits.max_batch_tokens // 200 >= cores or cores < 2, "a text of ~200 tokens or more per core"


def test_bounds_that_are_set_hold_on_any_number_of_cores() -> None:
    limits = BatchLimits.from_settings(Settings(local_threads=16, local_max_batch_tokens=1024, local_max_batch_size=8))
    assert (limits.max_batch_tokens, limits.max_batch_size) == (1024, 8)


@pytest.mark.parametrize("device", ["cuda", "cuda:1"])
def test_on_a_gpu_passes_take_tei_s_token_budget_unless_a_bound_is_set(device: str) -> None:
    assert BatchLimits.from_settings(Settings(), device=device) == GPU_LIMITS
    given = BatchLimits.from_settings(Settings(local_max_batch_tokens=4096), device=device)
    assert (given.max_batch_tokens, given.max_batch_size) == (4096, GPU_LIMITS.max_batch_size)


def test_a_gpu_pass_of_long_texts_is_cut_by_its_token_budget_sorted_by_length() -> None:
    lengths = [200 + (i * 37) % 57 for i in range(1000)]  # long texts of 200-256 tokens, in no order
    passes = pack_by_length(
        lengths,
        max_tokens=GPU_LIMITS.max_batch_tokens,
        max_size=GPU_LIMITS.max_batch_size,
        pass_overhead=GPU_LIMITS.pass_overhead_tokens,
    )
    padded = sum(len(p) * max(lengths[i] for i in p) for p in passes)
    assert all(len(p) * max(lengths[i] for i in p) <= GPU_LIMITS.max_batch_tokens for p in passes)
    assert padded <= 1.05 * sum(lengths)  # sorted by length: under 5% padding
    assert len(passes) <= 1.1 * sum(lengths) / GPU_LIMITS.max_batch_tokens + 1

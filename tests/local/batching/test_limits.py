"""The bounds of a pass: the CPU's from the settings, a GPU's larger unless a setting says otherwise."""

from __future__ import annotations

import pytest

from hfgate.config import Settings
from hfgate.local.batching import BatchLimits, pack_by_length
from hfgate.local.batching.limits import GPU_LIMITS


def test_on_the_cpu_the_settings_bound_every_pass() -> None:
    limits = BatchLimits.from_settings(Settings(local_queue_size=99))
    assert (limits.max_batch_tokens, limits.max_batch_size, limits.queue_size) == (1024, 32, 99)


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

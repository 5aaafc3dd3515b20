"""Packing waiting texts into forward passes: every text once, within the bounds, little padding."""

from __future__ import annotations

import itertools

from hypothesis import given
from hypothesis import strategies as st

from hfgate.local.batching import pack_by_length

lengths_lists = st.lists(st.integers(min_value=1, max_value=300), max_size=200)


overheads = st.none() | st.integers(0, 200)


@given(lengths=lengths_lists, max_tokens=st.integers(1, 5000), max_size=st.integers(1, 64), overhead=overheads)
def test_every_item_lands_in_exactly_one_batch(
    lengths: list[int], max_tokens: int, max_size: int, overhead: int | None
) -> None:
    batches = pack_by_length(lengths, max_tokens=max_tokens, max_size=max_size, pass_overhead=overhead)
    assert sorted(i for batch in batches for i in batch) == list(range(len(lengths)))


@given(lengths=lengths_lists, max_tokens=st.integers(1, 5000), max_size=st.integers(1, 64), overhead=overheads)
def test_batches_respect_padded_tokens_and_size(
    lengths: list[int], max_tokens: int, max_size: int, overhead: int | None
) -> None:
    for batch in pack_by_length(lengths, max_tokens=max_tokens, max_size=max_size, pass_overhead=overhead):
        assert len(batch) <= max_size
        padded = len(batch) * max(lengths[i] for i in batch)
        assert padded <= max_tokens or len(batch) == 1, "only a lone oversized text may exceed the bound"


@given(lengths=lengths_lists)
def test_batches_hold_texts_of_neighbouring_lengths(lengths: list[int]) -> None:
    batches = pack_by_length(lengths, max_tokens=1000, max_size=8)
    ranges = [(min(lengths[i] for i in b), max(lengths[i] for i in b)) for b in batches]
    assert all(hi <= next_lo for (_, hi), (next_lo, _) in itertools.pairwise(ranges))


def test_short_texts_fill_a_batch_up_to_the_size_bound() -> None:
    assert [len(b) for b in pack_by_length([10] * 70, max_tokens=10_000, max_size=32)] == [32, 32, 6]


def test_a_pass_overhead_cuts_where_padding_would_cost_more_than_a_pass() -> None:
    lengths = [10] * 20 + [12, 40]
    assert [len(b) for b in pack_by_length(lengths, max_tokens=10_000, max_size=32)] == [22]
    # 20 texts of 10 padded to 12 cost 40 tokens (<= 64): kept; padded to 40 they would cost 600: cut.
    cut = pack_by_length(lengths, max_tokens=10_000, max_size=32, pass_overhead=64)
    assert [[lengths[i] for i in b] for b in cut] == [[10] * 20 + [12], [40]]


@given(
    lengths=lengths_lists,
    max_tokens=st.integers(1, 20_000),
    max_size=st.integers(1, 600),
    overhead=st.integers(0, 4096),
)
def test_a_batch_pads_at_most_one_pass_overhead_per_text_it_took_after_the_first(
    lengths: list[int], max_tokens: int, max_size: int, overhead: int
) -> None:
    # Each text taken (shortest first) pads the ones before it by at most ``overhead`` tokens in all.
    for batch in pack_by_length(lengths, max_tokens=max_tokens, max_size=max_size, pass_overhead=overhead):
        padding = len(batch) * max(lengths[i] for i in batch) - sum(lengths[i] for i in batch)
        assert padding <= overhead * (len(batch) - 1)

"""``float_rows``: a pass's rows become one float32 array, normalized in float32, read as lists."""

from __future__ import annotations

import numpy as np

from hfgate.local.embedding.pipeline import float_rows
from hfgate.tasks import FloatRows

PASS = np.random.default_rng(7).standard_normal((4, 8)).astype(np.float32)


def test_a_pass_s_rows_stay_one_float32_array_read_as_its_tolist() -> None:
    rows = float_rows(list(PASS), unit=False)
    assert isinstance(rows, FloatRows)
    assert rows.array.dtype == np.float32
    assert np.array_equal(rows.array, PASS)
    assert list(rows) == PASS.tolist()


def test_unit_rows_are_normalized_in_float32_as_the_pipeline_normalizes() -> None:
    rows = float_rows(list(PASS), unit=True)
    want = PASS / np.maximum(np.linalg.norm(PASS, axis=1, keepdims=True), 1e-12)
    assert rows.array.tobytes() == want.astype(np.float32).tobytes()
    assert list(rows) == want.tolist()


def test_lists_of_floats_and_no_rows_give_float_rows_too() -> None:
    assert list(float_rows([[0.5, 2.0]], unit=False)) == [[0.5, 2.0]]
    empty = float_rows([], unit=True)
    assert isinstance(empty, FloatRows)
    assert len(empty) == 0
    assert empty == []


def test_the_rows_are_a_copy_of_a_pass_s_array_not_a_view_of_it() -> None:
    buffer = PASS.copy()
    rows = float_rows(buffer, unit=False)
    buffer[:] = 0.0  # an engine reusing its output buffer for the next pass
    assert list(rows) == PASS.tolist()

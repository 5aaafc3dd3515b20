"""The task vocabulary's one behaviour of its own: FloatRows reads as the list of lists its array's
``tolist()`` gives, so a local model's vectors reach every consumer as a remote server's lists would."""

from __future__ import annotations

from typing import Any

import numpy as np
import orjson
import pytest
from numpy.typing import NDArray

from hfgate.tasks import FloatRows

ARRAY = np.array([[0.1, -2.5, 3.0], [1e-8, 0.0, -0.0], [7.25, 1.5, -1.0]], dtype=np.float32)


def test_float_rows_read_as_the_arrays_tolist_by_length_index_slice_and_iteration() -> None:
    rows, lists = FloatRows(ARRAY), ARRAY.tolist()
    assert len(rows) == 3
    assert rows[0] == lists[0]
    assert rows[-1] == lists[-1]
    assert rows[1:] == lists[1:]
    assert list(rows) == lists
    assert all(type(value) is float for row in rows for value in row)
    assert rows.index(lists[2]) == 2
    assert lists[1] in rows
    with pytest.raises(IndexError):
        rows[3]


def test_float_rows_equal_the_same_lists_and_other_rows_but_not_a_tuple() -> None:
    rows = FloatRows(ARRAY)
    assert rows == ARRAY.tolist()
    assert ARRAY.tolist() == rows
    assert rows == FloatRows(ARRAY.copy())
    assert rows != FloatRows(ARRAY[:2])
    assert rows != ARRAY.tolist()[:2]
    assert rows != tuple(ARRAY.tolist())  # as a list is not equal to a tuple
    assert FloatRows(np.empty((0, 0), dtype=np.float32)) == []


def test_float_rows_make_the_lists_once_and_only_when_read() -> None:
    rows = FloatRows(ARRAY)
    assert len(rows) == 3
    assert rows.array.shape == (3, 3)
    assert rows._lists is None
    first = rows[0]
    assert rows[0] is first
    assert next(iter(rows)) is first


def test_float_rows_array_is_a_read_only_view_of_the_given_array() -> None:
    given = ARRAY.copy()
    rows = FloatRows(given)
    assert np.shares_memory(rows.array, given)
    assert rows.array.dtype == np.float32
    with pytest.raises(ValueError, match="read-only"):
        rows.array[0, 0] = 1.0


@pytest.mark.parametrize("array", [ARRAY[0], ARRAY.astype(np.float64), ARRAY[None]])
def test_float_rows_refuse_an_array_other_than_2d_float32(array: NDArray[Any]) -> None:
    with pytest.raises(ValueError, match="2-D float32"):
        FloatRows(array)


def test_float_rows_are_written_by_orjson_as_lists_once_made_a_list() -> None:
    rows = FloatRows(ARRAY)
    with pytest.raises(TypeError):  # why a face hands orjson list(rows), never the rows themselves
        orjson.dumps(rows)
    assert orjson.dumps(list(rows)) == orjson.dumps(ARRAY.tolist())

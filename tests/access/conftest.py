"""Fixtures of the access tests: the stand-in coding model as a priced upstream."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.fakes.coding_model import CodingModel


@pytest.fixture(scope="module")
def model() -> Iterator[CodingModel]:
    """The stand-in coding model (``tests/fakes/coding_model.py``) behind an OpenAI-compatible server."""
    upstream = CodingModel()
    upstream.start()
    try:
        yield upstream
    finally:
        upstream.stop()

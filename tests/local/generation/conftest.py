"""Tiny models for the generation engine's tests, built once per session and deleted afterwards."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.local.generation.tiny_models import save_tiny_llama, save_tiny_t5


@pytest.fixture(scope="session")
def tiny_t5_dir(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    path = tmp_path_factory.mktemp("tiny-t5")
    try:
        yield save_tiny_t5(path)
    finally:
        for file in path.iterdir():
            file.unlink()


@pytest.fixture(scope="session")
def tiny_llama_dir(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    path = tmp_path_factory.mktemp("tiny-llama")
    try:
        yield save_tiny_llama(path)
    finally:
        for file in path.iterdir():
            file.unlink()

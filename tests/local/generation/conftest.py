"""Tiny models for the generation engine's tests, built once per session and deleted afterwards."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from pathlib import Path

import pytest

from hfgate.local.cache import Compute
from hfgate.local.generation.engine import TextGenerator
from hfgate.local.generation.loading import LanguageModel
from tests.local.generation.tiny_models import save_tiny_llama, save_tiny_t5


@asynccontextmanager
async def running_generator(lm: LanguageModel, *, max_batch_size: int = 3) -> AsyncIterator[TextGenerator]:
    """A generator on ``lm`` with a compute thread of its own, closed (requests and thread) afterwards."""
    compute = Compute()
    engine = TextGenerator(lm, compute=compute, max_batch_size=max_batch_size)
    try:
        yield engine
    finally:
        await engine.aclose()
        compute.close()


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

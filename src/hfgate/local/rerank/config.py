"""How a cross-encoder's logit becomes its score, read from its config files as sentence-transformers reads them.

``CrossEncoder.predict`` (sentence-transformers 6.2) applies an activation to the classifier's logit: the
one saved with the model (``config_sentence_transformers.json``'s ``activation_fn``, else ``config.json``'s
``sentence_transformers.activation_fn``, else the older ``sbert_ce_default_activation_function``), and
without one, ``Sigmoid`` for a one-label model. A saved activation outside ``torch.`` is not trusted
without ``trust_remote_code`` and falls back to that default; so here. The MS MARCO cross-encoders save
``Identity``: their scores are raw logits (any real number), where most one-label rerankers give a
sigmoid's 0..1.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from hfgate.errors import BadRequestError
from hfgate.local.embedding.tokens import model_max_length
from hfgate.local.model_kind import module_types, read_json

Activation = Literal["sigmoid", "identity", "tanh"]

_ACTIVATIONS: dict[str, Activation] = {"Sigmoid": "sigmoid", "Identity": "identity", "Tanh": "tanh"}


@dataclass(frozen=True, slots=True, kw_only=True)
class CrossEncoderConfig:
    """What scoring needs beyond the weights.

    Args:
        activation: applied to the logit: ``sigmoid`` (scores in 0..1), ``identity`` (raw logits) or ``tanh``.
        max_length: tokens of one (query, document) pair, special tokens included.
    """

    activation: Activation
    max_length: int


def read_cross_encoder(path: Path, *, name: str) -> CrossEncoderConfig:
    """The cross-encoder at ``path``'s scoring.

    Args:
        path: the model directory.
        name: ``service_settings.model`` as given, for messages.

    Raises:
        BadRequestError: the model has other than one label, modules hfgate does not run, or an
            activation it does not know; the message names ``service_settings.model``.
    """
    config = read_json(path / "config.json")
    labels = _num_labels(config)
    if labels != 1:
        raise BadRequestError(
            f"[service_settings.model] [{name}] is a classifier with [{labels}] labels; a reranker gives one "
            "score per (query, document) pair: give a cross-encoder saved with num_labels=1",
            param="service_settings.model",
        )
    _check_modules(path, name)
    saved_length = read_json(path / "sentence_bert_config.json").get("max_seq_length")
    max_length = saved_length if isinstance(saved_length, int) else model_max_length(path)
    return CrossEncoderConfig(activation=_activation(path, config, name=name), max_length=max_length)


def _num_labels(config: dict[str, object]) -> int:
    """transformers' rule: ``id2label``'s size, else ``num_labels``, else 2."""
    id2label = config.get("id2label")
    if isinstance(id2label, dict):
        return len(id2label)
    labels = config.get("num_labels")
    return labels if isinstance(labels, int) else 2


def _check_modules(path: Path, name: str) -> None:
    """A saved ``CrossEncoder`` must be its transformer alone (no ``Dense`` score head, no ``LogitScore``)."""
    extra = [kind for kind in module_types(path) if not kind.endswith(".Transformer")]
    if extra:
        raise BadRequestError(
            f"[service_settings.model] [{name}] is a cross-encoder with modules after its transformer "
            f"({', '.join(extra)}) that hfgate does not run; give a cross-encoder whose score is its "
            "sequence-classification head (as the MS MARCO, BGE and Jina rerankers are)",
            param="service_settings.model",
        )


def _activation(path: Path, config: dict[str, object], *, name: str) -> Activation:
    saved = read_json(path / "config_sentence_transformers.json").get("activation_fn")
    nested = config.get("sentence_transformers")
    if isinstance(nested, dict) and "activation_fn" in nested:
        fallback = nested["activation_fn"]
    else:  # sentence-transformers before 4.0 saved it here
        fallback = config.get("sbert_ce_default_activation_function")
    for dotted in (saved, fallback):
        if isinstance(dotted, str) and dotted.startswith("torch."):
            return _known(dotted, name=name)
    return "sigmoid"  # the default for one label (the only count served)


def _known(dotted: str, *, name: str) -> Activation:
    activation = _ACTIVATIONS.get(dotted.rsplit(".", 1)[-1])
    if activation is None:
        raise BadRequestError(
            f"[service_settings.model] [{name}] applies the activation [{dotted}] to its scores, which hfgate "
            f"does not run; it runs {', '.join(sorted(_ACTIVATIONS))}",
            param="service_settings.model",
        )
    return activation

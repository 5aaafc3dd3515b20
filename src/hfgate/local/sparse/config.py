"""How a SPLADE model pools its masked-LM logits into one sparse vector, read as sentence-transformers'
``SparseEncoder`` reads it.

A saved ``SparseEncoder`` keeps its ``SpladePooling`` module's settings in that module's folder
(``1_SpladePooling/config.json``): the pooling over tokens (``max``, SPLADE v2 and later; ``sum``, the
first SPLADE) and the activation (``relu``: log(1 + relu(logit)); ``log1p_relu``: that once more, as
OpenSearch's models do). A bare masked-LM directory gets sentence-transformers' defaults: ``max`` and
``relu``. ``max_active_dims`` (``config_sentence_transformers.json``) keeps the largest weights only.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from hfgate.errors import BadRequestError
from hfgate.local.embedding.tokens import model_max_length
from hfgate.local.model_kind import read_json

Pooling = Literal["max", "sum"]
Activation = Literal["relu", "log1p_relu"]


@dataclass(frozen=True, slots=True, kw_only=True)
class SpladeConfig:
    """What pooling needs beyond the weights.

    Args:
        pooling: ``max`` or ``sum`` over the text's tokens.
        activation: ``relu`` (log(1 + relu(x))) or ``log1p_relu`` (log(1 + log(1 + relu(x)))).
        max_length: tokens per text, special tokens included.
        max_active_dims: the most non-zero weights a vector keeps (the largest); ``None`` keeps all.
    """

    pooling: Pooling = "max"
    activation: Activation = "relu"
    max_length: int = 512
    max_active_dims: int | None = None


def read_splade(path: Path, *, name: str) -> SpladeConfig:
    """The sparse encoder at ``path``'s pooling.

    Raises:
        BadRequestError: its pooling or activation is one hfgate does not run; the message names
            ``service_settings.model``.
    """
    pooling = read_json(path / _pooling_folder(path) / "config.json") if _pooling_folder(path) else {}
    strategy = pooling.get("pooling_strategy", "max")
    activation = pooling.get("activation_function", "relu")
    if strategy not in ("max", "sum") or activation not in ("relu", "log1p_relu"):
        raise BadRequestError(
            f"[service_settings.model] [{name}] pools with [{strategy}] and [{activation}], which hfgate does "
            "not run; it runs SPLADE pooling max or sum, with relu or log1p_relu",
            param="service_settings.model",
        )
    saved_length = read_json(path / "sentence_bert_config.json").get("max_seq_length")
    active = read_json(path / "config_sentence_transformers.json").get("max_active_dims")
    return SpladeConfig(
        pooling=strategy,
        activation=activation,
        max_length=saved_length if isinstance(saved_length, int) else model_max_length(path),
        max_active_dims=active if isinstance(active, int) and active > 0 else None,
    )


def _pooling_folder(path: Path) -> str:
    """The folder of the ``SpladePooling`` module in ``modules.json``; ``""`` when there is none."""
    try:
        modules = json.loads((path / "modules.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return ""
    for module in modules if isinstance(modules, list) else []:
        if isinstance(module, dict) and str(module.get("type", "")).endswith("SpladePooling"):
            return str(module.get("path", ""))
    return ""

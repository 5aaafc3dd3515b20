"""What a sentence-transformers model does after the transformer: read from its directory, done in numpy.

``modules.json`` lists the stages (Transformer, Pooling, Normalize); ``1_Pooling/config.json`` says how
token vectors become one vector; ``sentence_bert_config.json`` gives the maximum sequence length and
whether text is lower-cased first. A directory without ``modules.json`` is a plain transformers model,
which sentence-transformers mean-pools without normalizing; we do the same.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from hfgate.errors import BadRequestError
from hfgate.tasks import FloatRows

if TYPE_CHECKING:
    import numpy as np
    from numpy.typing import NDArray

# The stages an engine that computes only the transformer can reproduce exactly, by the class path
# ``modules.json`` gives: sentence-transformers 5 and earlier wrote ``sentence_transformers.models.<Class>``,
# 6 writes the module the class lives in (its ``util/deprecated_import.py`` maps the one to the other).
_STAGES = {
    "sentence_transformers.models.Transformer": "transformer",
    "sentence_transformers.base.modules.transformer.Transformer": "transformer",
    "sentence_transformers.models.Pooling": "pooling",
    "sentence_transformers.sentence_transformer.modules.pooling.Pooling": "pooling",
    "sentence_transformers.models.Normalize": "normalize",
    "sentence_transformers.base.modules.normalize.Normalize": "normalize",
}
# Pooling's config up to sentence-transformers 5: one boolean per mode, the vectors concatenated in this
# order (Pooling.forward's); from 6: ``pooling_mode``, one name or a list, concatenated in the list's order.
_POOLING_KEYS = {
    "pooling_mode_cls_token": "cls",
    "pooling_mode_max_tokens": "max",
    "pooling_mode_mean_tokens": "mean",
    "pooling_mode_mean_sqrt_len_tokens": "mean_sqrt_len",
    "pooling_mode_lasttoken": "lasttoken",
}
_POOLING_MODES = {
    "cls": "cls",
    "max": "max",
    "mean": "mean",
    "mean_sqrt_len_tokens": "mean_sqrt_len",
    "lasttoken": "lasttoken",
}


@dataclass(frozen=True, slots=True, kw_only=True)
class EmbeddingPipeline:
    """The stages around the transformer.

    Attributes:
        pooling: pooling modes in sentence-transformers' order; their outputs are concatenated.
        normalize: whether vectors are scaled to unit length.
        max_seq_length: tokens read per text; longer texts are truncated.
        lowercase: whether text is lower-cased before tokenizing.
        unsupported: stages outside Transformer/Pooling/Normalize (e.g. Dense), which only the
            sentence-transformers stack itself computes.
    """

    pooling: tuple[str, ...]
    normalize: bool
    max_seq_length: int
    lowercase: bool = False
    unsupported: tuple[str, ...] = ()

    def pool(self, hidden: NDArray[np.float32], mask: NDArray[np.int64]) -> NDArray[np.float32]:
        """Sentence vectors from token vectors ``hidden`` (batch, seq, dim) and ``mask`` (batch, seq)."""
        import numpy as np

        weights = mask[..., None].astype(np.float32)
        parts = [_POOLERS[mode](hidden, weights) for mode in self.pooling]
        vectors = parts[0] if len(parts) == 1 else np.concatenate(parts, axis=1)
        if self.normalize:
            vectors = _unit(vectors)
        return vectors.astype(np.float32, copy=False)


def _unit(vectors: NDArray[np.float32]) -> NDArray[np.float32]:
    import numpy as np

    # Same floor as torch.nn.functional.normalize, which sentence-transformers uses.
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    unit: NDArray[np.float32] = vectors / np.maximum(norms, 1e-12)
    return unit


def float_rows(vectors: Sequence[Sequence[float]] | Sequence[NDArray[np.float32]], *, unit: bool) -> FloatRows:
    """``vectors`` stacked into one float32 array, read as lists of floats (made once, when first read);
    scaled to unit length in float32 (as the pipeline's own normalization) when ``unit``. Rows that are
    arrays (a pass's) are stacked without a Python float each."""
    import numpy as np

    if not len(vectors):
        return FloatRows(np.empty((0, 0), dtype=np.float32))
    # a copy even of one 2-D array: the rows are read after the pass, when an engine may reuse its buffer
    rows = np.array(vectors, dtype=np.float32)
    return FloatRows(_unit(rows) if unit else rows)


def read_pipeline(model_dir: Path, *, fallback_max_length: int) -> EmbeddingPipeline:
    """The pipeline a model directory declares.

    Args:
        model_dir: a sentence-transformers or plain transformers model directory.
        fallback_max_length: maximum sequence length when the directory does not state one (the
            smaller of the tokenizer's and the model's maxima, as sentence-transformers does).

    Raises:
        BadRequestError: a config file is not valid JSON, or names a pooling mode we cannot compute.

    Example:
        >>> read_pipeline(resolve_model("all-MiniLM-L6-v2").path, fallback_max_length=512).pooling
        ('mean',)
    """
    modules = _json(model_dir / "modules.json", default=[])
    types = [str(m.get("type", "")) for m in modules]
    stages = [_STAGES.get(t) for t in types]
    pooling_dir = next((str(m.get("path", "")) for m, s in zip(modules, stages, strict=True) if s == "pooling"), None)
    st_config = _json(model_dir / "sentence_bert_config.json", default={})
    return EmbeddingPipeline(
        pooling=_pooling_modes(model_dir / pooling_dir / "config.json") if pooling_dir else ("mean",),
        normalize="normalize" in stages,
        max_seq_length=int(st_config.get("max_seq_length") or fallback_max_length),
        lowercase=bool(st_config.get("do_lower_case", False)),
        unsupported=tuple(t for t, s in zip(types, stages, strict=True) if s is None),
    )


def _pooling_modes(config_path: Path) -> tuple[str, ...]:
    config = _json(config_path, default={})
    if "pooling_mode" in config:
        named = config["pooling_mode"]
        names = [str(n) for n in (named if isinstance(named, list) else [named])]
        unknown = [n for n in names if n not in _POOLING_MODES]
        modes = tuple(_POOLING_MODES[n] for n in names if n in _POOLING_MODES)
    else:
        unknown = [k for k, v in config.items() if k.startswith("pooling_mode_") and v and k not in _POOLING_KEYS]
        modes = tuple(mode for key, mode in _POOLING_KEYS.items() if config.get(key))
    if unknown:
        raise BadRequestError(f"Pooling [{', '.join(unknown)}] in [{config_path}] is not supported")
    return modes or ("mean",)


def _json(path: Path, *, default: Any) -> Any:
    if not path.is_file():
        return default
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise BadRequestError(f"Cannot read [{path}]: {exc}") from exc


def _cls(hidden: NDArray[np.float32], weights: NDArray[np.float32]) -> NDArray[np.float32]:
    return hidden[:, 0]


def _mean(hidden: NDArray[np.float32], weights: NDArray[np.float32]) -> NDArray[np.float32]:
    import numpy as np

    pooled: NDArray[np.float32] = (hidden * weights).sum(axis=1) / np.maximum(weights.sum(axis=1), 1e-9)
    return pooled


def _max(hidden: NDArray[np.float32], weights: NDArray[np.float32]) -> NDArray[np.float32]:
    import numpy as np

    pooled: NDArray[np.float32] = np.where(weights > 0, hidden, np.float32(-1e9)).max(axis=1)
    return pooled


def _mean_sqrt_len(hidden: NDArray[np.float32], weights: NDArray[np.float32]) -> NDArray[np.float32]:
    import numpy as np

    pooled: NDArray[np.float32] = (hidden * weights).sum(axis=1) / np.sqrt(np.maximum(weights.sum(axis=1), 1e-9))
    return pooled


def _last_token(hidden: NDArray[np.float32], weights: NDArray[np.float32]) -> NDArray[np.float32]:
    import numpy as np

    # Right padding: the last real token sits at (number of real tokens - 1).
    last = weights[..., 0].sum(axis=1).astype(np.int64) - 1
    pooled: NDArray[np.float32] = hidden[np.arange(hidden.shape[0]), last]
    return pooled


_POOLERS = {
    "cls": _cls,
    "mean": _mean,
    "max": _max,
    "mean_sqrt_len": _mean_sqrt_len,
    "lasttoken": _last_token,
}

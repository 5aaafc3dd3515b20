"""ONNX Runtime's transformer optimizer applied to an exported encoder: fused attention and layer norms.

``onnxruntime.transformers.optimizer`` rewrites BERT-like graphs into ``Attention``,
``SkipLayerNormalization``, ``BiasGelu`` and ``EmbedLayerNormalization`` nodes, which ONNX Runtime's
own session-time optimizations (``ORT_ENABLE_ALL``) do not produce from a TorchScript export. The
arithmetic is the same up to float rounding; the fused file is checked against the unfused one before it is kept.
Whether it is faster depends on the CPU and the text lengths (it can be slower than the unfused graph
under ONNX Runtime's own optimizations: ``docs/benchmarks/embeddings.md``), so it is one more exact
engine that ``auto`` measures, not a replacement.
"""

from __future__ import annotations

import json
import warnings
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from hfgate.errors import HfGateError
from hfgate.local.embedding.onnx_session import open_session, session_vectors
from hfgate.local.measuring.fidelity import worst_cosine
from hfgate.local.one_maker import made_once

if TYPE_CHECKING:
    from hfgate.local.embedding.pipeline import EmbeddingPipeline
    from hfgate.local.embedding.tokens import TokenBatch

FUSED_MIN_COSINE = 0.99999
"""The fused graph must reproduce the unfused one's vectors at least this closely."""


def fused_model(
    path: Path, *, model_dir: Path, batches: Sequence[TokenBatch], pipeline: EmbeddingPipeline, threads: int = 0
) -> Path:
    """The fused variant of the exported ``path`` (``model-fused.onnx`` beside it), made on first use.

    Args:
        path: the exported (unfused) ONNX file.
        model_dir: the model directory (its ``config.json`` gives heads and hidden size).
        batches: texts the fused graph is checked on against ``path``.
        pipeline: pools the hidden states into the vectors compared.
        threads: threads of the checking sessions.

    Raises:
        HfGateError: the optimizer fused nothing, or the fused graph's vectors differ.

    Example:
        >>> fused_model(exported, model_dir=model_dir, batches=batches, pipeline=pipeline).name
        'model-fused.onnx'
    """
    target = path.with_name("model-fused.onnx")

    def fuse() -> None:
        tmp = target.with_suffix(".tmp.onnx")
        try:
            _fuse(path, model_dir=model_dir, out=tmp)
            want = session_vectors(open_session(path, threads), batches, pipeline)
            got = session_vectors(open_session(tmp, threads), batches, pipeline)
            cosine = worst_cosine(got, want)
            if cosine < FUSED_MIN_COSINE:
                raise HfGateError(f"The fused ONNX graph of [{model_dir}] differs from the unfused one ({cosine:.6f})")
            tmp.replace(target)  # atomic: a concurrent loader sees no file or the whole one
        finally:
            tmp.unlink(missing_ok=True)

    return made_once(target, fuse, lock=path)  # as every variant of ``path``: under its lock


def _fuse(path: Path, *, model_dir: Path, out: Path) -> None:
    import importlib

    optimizer = importlib.import_module("onnxruntime.transformers.optimizer")
    config = json.loads((model_dir / "config.json").read_text(encoding="utf-8"))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        # opt_level 0: the optimizer's Python fusions only; the session applies ONNX Runtime's own at load.
        model = optimizer.optimize_model(
            str(path),
            model_type="bert",
            num_heads=int(config.get("num_attention_heads", 0)),
            hidden_size=int(config.get("hidden_size", 0)),
            opt_level=0,
        )
    fused = model.get_fused_operator_statistics()
    if not fused.get("Attention") and not fused.get("SkipLayerNormalization"):
        raise HfGateError(f"ONNX Runtime's transformer optimizer fused nothing in [{model_dir}]")
    model.save_model_to_file(str(out))

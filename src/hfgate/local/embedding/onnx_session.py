"""One ONNX Runtime CPU session, configured the same way for every ONNX engine and for their checks."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from hfgate.local.embedding.onnx_export import import_onnxruntime

if TYPE_CHECKING:
    import numpy as np
    from numpy.typing import NDArray

    from hfgate.local.embedding.pipeline import EmbeddingPipeline
    from hfgate.local.embedding.tokens import TokenBatch


def open_session(path: Path, threads: int) -> Any:
    """An ``InferenceSession`` on ``path``: all graph optimizations, ``threads`` intra-op threads
    (0 = one per core), one inter-op thread, and no spinning.

    Example:
        >>> open_session(Path("/tmp/m/model.onnx"), threads=0).get_inputs()[0].name
        'input_ids'
    """
    onnxruntime = import_onnxruntime()
    options = onnxruntime.SessionOptions()
    options.graph_optimization_level = onnxruntime.GraphOptimizationLevel.ORT_ENABLE_ALL
    options.intra_op_num_threads = threads
    options.inter_op_num_threads = 1
    # Idle threads would otherwise spin after each pass, stealing the cores from whatever the
    # compute thread runs next (a generation step) and from the event loop (measured slower: see
    # docs/benchmarks/embeddings.md).
    options.add_session_config_entry("session.intra_op.allow_spinning", "0")
    return onnxruntime.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])


def session_vectors(session: Any, batches: Sequence[TokenBatch], pipeline: EmbeddingPipeline) -> NDArray[np.float32]:
    """The pooled vectors of ``batches`` through ``session``, stacked."""
    import numpy as np

    names = [i.name for i in session.get_inputs()]
    pooled = [pipeline.pool(session.run(None, {n: b.inputs()[n] for n in names})[0], b.attention_mask) for b in batches]
    return np.concatenate(pooled)

"""int8 variants of an exported encoder: every MatMul quantized, or only those fidelity allows.

Dynamic quantization (ONNX Runtime's ``quantize_dynamic``: int8 weights per channel, activations
quantized per tensor at run time, VNNI kernels) of every MatMul is fast but costs cosine to float32;
the MatMuls do not cost alike (the attention projections little, the feed-forward ones most) and their
losses add up almost exactly. So the selective variant quantizes the cheapest MatMuls first, as many as
fit the budget ``1 - min_cosine``, then checks the whole and drops MatMuls until it holds; a strict
budget leaves too few quantized to be faster (a mixed graph pays to quantize and dequantize
activations at each boundary). Figures per MatMul: ``docs/benchmarks/embeddings.md``.
"""

from __future__ import annotations

import importlib
import warnings
from collections.abc import Sequence
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any

from hfgate.errors import BadRequestError, HfGateError
from hfgate.local.embedding.onnx_session import open_session, session_vectors
from hfgate.local.measuring.fidelity import worst_cosine
from hfgate.local.one_maker import made_once

if TYPE_CHECKING:
    from hfgate.local.embedding.pipeline import EmbeddingPipeline
    from hfgate.local.embedding.tokens import TokenBatch

SELECTIVE_MIN_COSINE = 0.999
"""The worst cosine to float32, on the calibration texts, the selective int8 variant is built to keep."""


def quantized_model(path: Path) -> Path:
    """Every MatMul of the exported ``path`` in int8 (``model-int8.onnx`` beside it), made on first use.

    Raises:
        BadRequestError: ``onnxruntime.quantization`` (or ``onnx``) is not installed.
    """
    target = path.with_name("model-int8.onnx")

    def quantize() -> None:
        tmp = target.with_suffix(".tmp.onnx")
        _quantize(path, tmp, nodes=None)
        tmp.replace(target)

    # every variant of ``path`` is made under its lock: the quantizer writes a scratch file beside it
    return made_once(target, quantize, lock=path)


def selective_model(
    path: Path,
    *,
    batches: Sequence[TokenBatch],
    pipeline: EmbeddingPipeline,
    min_cosine: float = SELECTIVE_MIN_COSINE,
    threads: int = 0,
) -> Path:
    """The exported ``path`` with only the MatMuls quantized that keep ``min_cosine`` on ``batches``.

    Made on first use (one quantization per MatMul to rank them, then a few to fit the budget: about
    a minute for MiniLM on 2 cores) and kept beside ``path``.

    Raises:
        BadRequestError: ``onnxruntime.quantization`` is not installed.
        HfGateError: not even one MatMul can be quantized within ``min_cosine``.

    Example:
        >>> selective_model(exported, batches=batches, pipeline=pipeline).name
        'model-int8-selective-0.999.onnx'
    """
    target = path.with_name(f"model-int8-selective-{min_cosine:g}.onnx")
    select = partial(_select, path, target, batches=batches, pipeline=pipeline, min_cosine=min_cosine, threads=threads)
    return made_once(target, select, lock=path)


def _select(
    path: Path,
    target: Path,
    *,
    batches: Sequence[TokenBatch],
    pipeline: EmbeddingPipeline,
    min_cosine: float,
    threads: int,
) -> None:
    tmp = target.with_suffix(".tmp.onnx")
    try:
        reference = session_vectors(open_session(path, threads), batches, pipeline)

        def fidelity(nodes: list[str]) -> float:
            _quantize(path, tmp, nodes=nodes)
            return worst_cosine(session_vectors(open_session(tmp, threads), batches, pipeline), reference)

        loss = {node: 1.0 - fidelity([node]) for node in weight_matmuls(path)}
        chosen = within_budget(loss, budget=1.0 - min_cosine)
        while chosen and fidelity(chosen) < min_cosine:
            chosen.pop()  # the most costly of those kept
        if not chosen:
            raise HfGateError(f"No MatMul of [{path}] can be quantized to int8 within cosine {min_cosine:g}")
        tmp.replace(target)
    finally:
        tmp.unlink(missing_ok=True)


def weight_matmuls(path: Path) -> list[str]:
    """Names of the MatMul nodes of ``path`` that multiply by a weight (an initializer)."""
    onnx = _import("onnx", engine="onnx-int8")
    graph = onnx.load(str(path), load_external_data=False).graph
    weights = {initializer.name for initializer in graph.initializer}
    return [node.name for node in graph.node if node.op_type == "MatMul" and any(i in weights for i in node.input)]


def within_budget(loss: dict[str, float], *, budget: float) -> list[str]:
    """The cheapest nodes whose losses add up to at most ``budget``, cheapest first."""
    chosen: list[str] = []
    spent = 0.0
    for node in sorted(loss, key=loss.__getitem__):
        if spent + max(loss[node], 0.0) > budget:
            break
        spent += max(loss[node], 0.0)
        chosen.append(node)
    return chosen


def _quantize(path: Path, out: Path, *, nodes: list[str] | None) -> None:
    quantization = _import("onnxruntime.quantization", engine="onnx-int8")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # advice to pre-process the model; not needed for dynamic
        # Per-channel scales: per-tensor int8 costs far more cosine (docs/benchmarks/embeddings.md).
        quantization.quantize_dynamic(
            str(path),
            str(out),
            weight_type=quantization.QuantType.QInt8,
            per_channel=True,
            nodes_to_quantize=nodes,
        )


def _import(module: str, *, engine: str) -> Any:
    try:
        return importlib.import_module(module)
    except ImportError as exc:
        raise BadRequestError(
            f"The [{engine}] engine needs [{exc.name}], which is not installed; install the extra with "
            "`pip install torch==2.13.0 'hfgate[local]'`"
        ) from exc

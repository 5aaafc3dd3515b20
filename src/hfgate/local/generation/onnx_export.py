"""Exporting a decoder-only model to ONNX once, for the ``onnx`` engines, kept under the data directory.

The graph comes from onnxruntime-genai's model builder (``pip install 'hfgate[local]'``), which
writes each layer as a handful of fused ONNX Runtime operators (GroupQueryAttention with rotary
embeddings, SkipSimplifiedLayerNormalization, MatMul or MatMulNBits): about 340 nodes for SmolLM2-135M,
where a ``torch.onnx`` trace of the transformers model has about 3,000 and decodes at half the speed.
The export runs in a child process (``onnx_export_worker``): the server never imports the builder or
torch for it, and the directory appears atomically, or not at all.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

from hfgate.errors import BadRequestError
from hfgate.local.fingerprint import model_fingerprint
from hfgate.local.measuring.child import run_export_worker
from hfgate.local.one_maker import made_once

# Engine name -> the builder's precision (int8 and int4: weight-only MatMulNBits, see onnx_export_worker).
PRECISIONS = {"onnx": "fp32", "onnx-int8": "int8", "onnx-int4": "int4"}
# Bump when the export recipe changes, so cached exports from older recipes are not reused.
EXPORT_RECIPE = "genai-builder-v2"
# Per precision, where one changed alone (int4: k_quant_last), so the others' exports stay valid.
_RECIPES = {"int4": "genai-builder-v2|int4-k-quant-last"}


def exported_decoder(model_dir: Path, cache_dir: Path, *, precision: str) -> Path:
    """The directory holding ``model.onnx`` for ``model_dir`` at ``precision``, exporting it on first use.

    Args:
        model_dir: a transformers decoder-only model directory (safetensors and config).
        cache_dir: where exports are kept, one sub-directory per model version, precision and recipe.
        precision: ``fp32``, ``int8`` or ``int4`` (the values of :data:`PRECISIONS`).

    Raises:
        BadRequestError: onnxruntime-genai (the exporter) is not installed; the message names the extra.
        HfGateError: the export failed (for instance, an architecture the builder does not know).

    Example:
        >>> # exported_decoder(converted, Path("/data/models"), precision="fp32") / "model.onnx"
    """
    target = _target(model_dir, cache_dir, precision)

    def export() -> None:
        _require_builder()
        module = "hfgate.local.generation.onnx_export_worker"
        run_export_worker(module, model_dir, target, precision, made=target / "model.onnx", what="decoder")

    made_once(target / "model.onnx", export, lock=target)  # the directory appears whole (renamed into place)
    return target


def decoder_exported(model_dir: Path, cache_dir: Path, *, precision: str) -> bool:
    """Whether :func:`exported_decoder` would find the export on disk (and not make it)."""
    return (_target(model_dir, cache_dir, precision) / "model.onnx").is_file()


def _target(model_dir: Path, cache_dir: Path, precision: str) -> Path:
    recipe = _RECIPES.get(precision, EXPORT_RECIPE)
    return cache_dir / "onnx-decoder" / f"{model_fingerprint(model_dir, recipe=recipe)}-{precision}"


def _require_builder() -> None:
    for module in ("onnxruntime_genai", "onnx_ir", "torch"):
        if importlib.util.find_spec(module) is None:
            raise BadRequestError(
                f"The [onnx] generation engines export the model with onnxruntime-genai's builder, and "
                f"[{module}] is not installed; install it with `pip install 'hfgate[local]'` or "
                "set [service_settings.engine] to [transformers]"
            )

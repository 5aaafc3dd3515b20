"""The decoder export itself, run as a child process:
``python -m hfgate.local.generation.onnx_export_worker MODEL_DIR TARGET_DIR fp32|int8|int4``.

It calls onnxruntime-genai's model builder on a staging directory (the model's files, and a config
that names the architecture: configs converted from GGUF lack ``architectures``, which the builder
reads), then, for ``int8``, quantizes the fp32 graph's weights to int8 per channel with ONNX Runtime's
dynamic quantization (MatMulInteger, which uses VNNI where the CPU has it). ``int4`` is the builder's
own MatMulNBits export, 4-bit blocks of 32 computed in int8 (``int4_accuracy_level=4``).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import warnings
from pathlib import Path


def export(model_dir: Path, target: Path, precision: str) -> None:
    """Write ``model_dir`` as ONNX into the directory ``target`` (``model.onnx`` and its data)."""
    work = Path(tempfile.mkdtemp(prefix=".export-", dir=target.parent))
    try:
        staging, built = work / "model", work / "built"
        _stage(model_dir, staging)
        _build(staging, built, work / "cache", "fp32" if precision == "int8" else precision)
        if precision == "int8":
            _quantize_int8(built)
        os.replace(built, target)  # atomic: a concurrent loader sees no directory or the whole one
    finally:
        shutil.rmtree(work, ignore_errors=True)


def _stage(model_dir: Path, staging: Path) -> None:
    from transformers import AutoConfig
    from transformers.models.auto.modeling_auto import MODEL_FOR_CAUSAL_LM_MAPPING_NAMES

    staging.mkdir()
    for path in model_dir.iterdir():
        if path.is_file() and path.name != "config.json":
            (staging / path.name).symlink_to(path.resolve())
    config = json.loads((model_dir / "config.json").read_text())
    if not config.get("architectures"):
        model_type = AutoConfig.from_pretrained(model_dir, local_files_only=True).model_type
        config["architectures"] = [MODEL_FOR_CAUSAL_LM_MAPPING_NAMES[model_type]]
    (staging / "config.json").write_text(json.dumps(config))


def _build(staging: Path, out: Path, cache: Path, precision: str) -> None:
    command = [sys.executable, "-m", "onnxruntime_genai.models.builder", "-m", str(staging), "-i", str(staging),
               "-o", str(out), "-p", precision, "-e", "cpu", "-c", str(cache)]  # fmt: skip
    if precision == "int4":
        command += ["--extra_options", "int4_accuracy_level=4"]
    done = subprocess.run(command, capture_output=True, text=True)
    if done.returncode != 0 or not (out / "model.onnx").is_file():
        last = (done.stderr.strip().splitlines() or ["no output"])[-1]
        raise RuntimeError(f"onnxruntime-genai's builder failed: {last}")


def _quantize_int8(built: Path) -> None:
    from onnxruntime.quantization import QuantType, quantize_dynamic

    quantized = built / "model-int8.onnx"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # advice to pre-process the model; not needed for dynamic
        quantize_dynamic(built / "model.onnx", quantized, weight_type=QuantType.QInt8, per_channel=True)
    for path in built.glob("model.onnx*"):
        path.unlink()
    quantized.replace(built / "model.onnx")


if __name__ == "__main__":
    export(Path(sys.argv[1]), Path(sys.argv[2]), sys.argv[3])

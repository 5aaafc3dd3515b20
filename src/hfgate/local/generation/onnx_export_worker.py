"""The decoder export itself, run as a child process:
``python -m hfgate.local.generation.onnx_export_worker MODEL_DIR TARGET_DIR fp32|int8|int4``.

It calls onnxruntime-genai's model builder on a staging directory (the model's files, and a config that
names the architecture, which the builder reads: a config without ``architectures``, such as one converted
from GGUF before hfgate wrote it there, has it filled in from its ``model_type``). ``int8`` and ``int4``
are the builder's weight-only MatMulNBits exports (blocks of 32, the activations quantized to int8 per
block at run time: ``accuracy_level=4``, VNNI where the CPU has it); ``int4`` keeps the output head in
int8 and every layer in int4 (``k_quant_last``, the layout of llama.cpp's Q4_1 GGUF). Why this recipe and
not llama.cpp's "mixed" one or ONNX Runtime's dynamic int8: docs/benchmarks/generation.md and
docs/benchmarks/real-engines.md.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path


def export(model_dir: Path, target: Path, precision: str) -> None:
    """Write ``model_dir`` as ONNX into the directory ``target`` (``model.onnx`` and its data)."""
    work = Path(tempfile.mkdtemp(prefix=".export-", dir=target.parent))
    try:
        staging, built = work / "model", work / "built"
        _stage(model_dir, staging)
        _build(staging, built, work / "cache", precision)
        os.replace(built, target)  # atomic: a concurrent loader sees no directory or the whole one
    finally:
        shutil.rmtree(work, ignore_errors=True)


def _stage(model_dir: Path, staging: Path) -> None:
    staging.mkdir()
    for path in model_dir.iterdir():
        if path.is_file() and path.name != "config.json":
            (staging / path.name).symlink_to(path.resolve())
    config = json.loads((model_dir / "config.json").read_text())
    if not config.get("architectures"):  # transformers only then: its import is seconds of this child's life
        from transformers import AutoConfig
        from transformers.models.auto.modeling_auto import MODEL_FOR_CAUSAL_LM_MAPPING_NAMES

        model_type = AutoConfig.from_pretrained(model_dir, local_files_only=True).model_type
        config["architectures"] = [MODEL_FOR_CAUSAL_LM_MAPPING_NAMES[model_type]]
    (staging / "config.json").write_text(json.dumps(config))


def _build(staging: Path, out: Path, cache: Path, precision: str) -> None:
    command = [sys.executable, "-m", "onnxruntime_genai.models.builder", "-m", str(staging), "-i", str(staging),
               "-o", str(out), "-p", precision, "-e", "cpu", "-c", str(cache)]  # fmt: skip
    if precision == "int8":
        command += ["--extra_options", "accuracy_level=4"]
    if precision == "int4":
        command += ["--extra_options", "accuracy_level=4", "algo_config=k_quant_last"]
    done = subprocess.run(command, capture_output=True, text=True)
    if done.returncode != 0 or not (out / "model.onnx").is_file():
        last = (done.stderr.strip().splitlines() or ["no output"])[-1]
        raise RuntimeError(f"onnxruntime-genai's builder failed: {last}")


if __name__ == "__main__":
    export(Path(sys.argv[1]), Path(sys.argv[2]), sys.argv[3])

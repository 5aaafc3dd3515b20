"""How close each embedding engine gets to the machine's matrix-multiply limit, measured in one run.

Interleaved rounds time (a) matrix multiplies on MiniLM's feed-forward shape (4096x384x1536): float32
in torch, numpy and ONNX Runtime (libraries differ by 1.5x; the fastest is the fp32 limit), bfloat16 in
torch, and int8 x int8 -> int32 (``torch._int_mm``) — the reachable limits of this CPU — and (b) each
engine's forward pass on one full batch (32 texts x 128 tokens, no padding), whose FLOPs come from the
model's config: per token and layer 2·(4·h² + 2·h·ff) for the projections plus 4·seq·h for attention.
Medians over rounds; the fraction is engine GFLOP/s over the matmul GFLOP/s of the engine's arithmetic
(fp32; bf16 for the bfloat16 engines; int8 for the int8 ones), and over the fp32 limit for every engine.

Run: ``.venv/bin/python bench/roofline_bench.py [--rounds 5] [--engines onnx,onnx-int8,torch,torch-bf16,torch-amp]
[--cache-dir DIR]`` (``--cache-dir``: reuse ONNX exports and their variants made by an earlier run)
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import tempfile
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any

import numpy as np
import torch

from hfgate.local.catalog import resolve_model
from hfgate.local.cpu import read_cpu
from hfgate.local.embedding.engine import EngineOptions
from hfgate.local.embedding.engine_choice import load_engine
from hfgate.local.embedding.pipeline import read_pipeline
from hfgate.local.embedding.tokens import TokenBatch

MODEL = resolve_model("all-MiniLM-L6-v2").path
ROWS, SEQ = 32, 128


def model_flops(model_dir: Path) -> float:
    config = json.loads((model_dir / "config.json").read_text())
    h, ff, layers = config["hidden_size"], config["intermediate_size"], config["num_hidden_layers"]
    per_token = layers * (2 * (4 * h * h + 2 * h * ff) + 4 * SEQ * h)
    return float(per_token * ROWS * SEQ)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--engines", default="onnx,onnx-fused,onnx-int8,onnx-int8-selective,torch,torch-bf16,torch-amp")
    parser.add_argument("--cache-dir", type=Path, default=None)
    args = parser.parse_args()
    print(subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip())
    print(f"CPU: {read_cpu().describe()}, {os.cpu_count()} logical CPUs, {torch.get_num_threads()} torch threads")
    pipeline = read_pipeline(MODEL, fallback_max_length=512)
    cache_dir = args.cache_dir or Path(tempfile.mkdtemp(prefix="roofline-"))
    options = EngineOptions(pipeline=pipeline, cache_dir=cache_dir)
    engines = {name: load_engine(name, MODEL, options=options) for name in args.engines.split(",")}
    ids = np.random.default_rng(0).integers(1000, 20000, size=(ROWS, SEQ), dtype=np.int64)
    ids[:, 0], ids[:, -1] = 101, 102
    batch = TokenBatch(input_ids=ids, attention_mask=np.ones_like(ids), token_type_ids=np.zeros_like(ids))
    a32, b32 = torch.randn(ROWS * SEQ, 384), torch.randn(384, 1536)
    a16, b16 = a32.bfloat16(), b32.bfloat16()
    a8, b8 = (
        torch.randint(-128, 127, (ROWS * SEQ, 384), dtype=torch.int8),
        torch.randint(-128, 127, (384, 1536), dtype=torch.int8),
    )
    gemm = 2.0 * ROWS * SEQ * 384 * 1536
    n32a, n32b = a32.numpy(), b32.numpy()
    ort_matmul = onnxruntime_matmul()
    jobs: dict[str, tuple[Callable[[], object], float]] = {
        "matmul fp32 (torch)": (lambda: torch.matmul(a32, b32), gemm),
        "matmul fp32 (numpy)": (lambda: n32a @ n32b, gemm),
        "matmul fp32 (onnxruntime)": (lambda: ort_matmul.run(None, {"a": n32a, "b": n32b}), gemm),
        "matmul bf16 (torch)": (lambda: torch.matmul(a16, b16), gemm),
        "matmul int8 (torch._int_mm)": (lambda: torch._int_mm(a8, b8), gemm),
    }
    flops = model_flops(MODEL)
    for name, engine in engines.items():
        jobs[name] = (partial(engine.forward, batch), flops)
    for run, _ in jobs.values():  # warm-up
        run()
    seconds: dict[str, list[float]] = {name: [] for name in jobs}
    for _ in range(args.rounds):
        for name, (run, _) in jobs.items():
            repeat = 20 if name.startswith("matmul") else 1
            started = time.perf_counter()
            for _ in range(repeat):
                run()
            seconds[name].append((time.perf_counter() - started) / repeat)
    rate = {name: jobs[name][1] / statistics.median(times) / 1e9 for name, times in seconds.items()}
    print(f"\nMiniLM forward, {ROWS} texts x {SEQ} tokens = {flops / 1e9:.1f} GFLOP; median of {args.rounds} rounds")
    print("| system | GFLOP/s | texts/s | fraction of its arithmetic's limit | fraction of the fp32 limit |")
    print("|---|---:|---:|---:|---:|")
    # Each arithmetic's limit: the fastest matrix multiply measured in it (libraries differ by 2x here).
    best = {k: max(r for n, r in rate.items() if n.startswith(f"matmul {k}")) for k in ("fp32", "bf16", "int8")}
    for name in jobs:
        kind = "bf16" if "bf16" in name or "amp" in name else "int8" if "int8" in name else "fp32"
        limit = best[kind]
        texts = "" if name.startswith("matmul") else f"{ROWS / statistics.median(seconds[name]):.1f}"
        print(
            f"| {name} | {rate[name]:.1f} | {texts} | {rate[name] / limit:.2f} ({kind}) "
            f"| {rate[name] / best['fp32']:.2f} |"
        )
    print(subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip())


def onnxruntime_matmul() -> Any:
    """A one-node ONNX Runtime session multiplying two float32 inputs (MLAS's sgemm, as the engines use)."""
    import onnx
    import onnxruntime

    graph = onnx.helper.make_graph(
        [onnx.helper.make_node("MatMul", ["a", "b"], ["c"])],
        "matmul",
        [
            onnx.helper.make_tensor_value_info("a", onnx.TensorProto.FLOAT, [None, None]),
            onnx.helper.make_tensor_value_info("b", onnx.TensorProto.FLOAT, [None, None]),
        ],
        [onnx.helper.make_tensor_value_info("c", onnx.TensorProto.FLOAT, [None, None])],
    )
    model = onnx.helper.make_model(graph, opset_imports=[onnx.helper.make_opsetid("", 17)])
    options = onnxruntime.SessionOptions()
    options.add_session_config_entry("session.intra_op.allow_spinning", "0")
    return onnxruntime.InferenceSession(model.SerializeToString(), options, providers=["CPUExecutionProvider"])


if __name__ == "__main__":
    main()

"""How close each embedding engine gets to the machine's matrix-multiply limit, measured in one run.

Interleaved rounds time (a) ``torch.matmul`` on MiniLM's feed-forward shape (4096x384x1536) in float32
and bfloat16 — the reachable limit of this CPU, 2 cores — and (b) each engine's forward pass on one full
batch (32 texts x 128 tokens, no padding), whose FLOPs come from the model's config: per token and
layer 2·(4·h² + 2·h·ff) for the projections plus 4·seq·h for attention. Medians over rounds; the
fraction is engine GFLOP/s over matmul GFLOP/s of the engine's arithmetic (fp32, or bf16 for the
bfloat16 engines; int8 is compared with fp32, as no int8 matmul is timed).

Run: ``.venv/bin/python bench/roofline_bench.py [--rounds 5] [--engines onnx,onnx-int8,torch,torch-bf16,torch-amp]``
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import tempfile
import time
from pathlib import Path

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
    parser.add_argument("--engines", default="onnx,onnx-int8,torch,torch-bf16,torch-amp")
    args = parser.parse_args()
    print(subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip())
    print(f"CPU: {read_cpu().describe()}, {os.cpu_count()} logical CPUs, {torch.get_num_threads()} torch threads")
    pipeline = read_pipeline(MODEL, fallback_max_length=512)
    options = EngineOptions(pipeline=pipeline, cache_dir=Path(tempfile.mkdtemp(prefix="roofline-")))
    engines = {name: load_engine(name, MODEL, options=options) for name in args.engines.split(",")}
    ids = np.random.default_rng(0).integers(1000, 20000, size=(ROWS, SEQ), dtype=np.int64)
    ids[:, 0], ids[:, -1] = 101, 102
    batch = TokenBatch(input_ids=ids, attention_mask=np.ones_like(ids), token_type_ids=np.zeros_like(ids))
    a32, b32 = torch.randn(ROWS * SEQ, 384), torch.randn(384, 1536)
    a16, b16 = a32.bfloat16(), b32.bfloat16()
    jobs = {
        "matmul fp32": (lambda: torch.matmul(a32, b32), 2.0 * ROWS * SEQ * 384 * 1536),
        "matmul bf16": (lambda: torch.matmul(a16, b16), 2.0 * ROWS * SEQ * 384 * 1536),
    }
    flops = model_flops(MODEL)
    for name, engine in engines.items():
        jobs[name] = (lambda engine=engine: engine.forward(batch), flops)
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
    print("| system | GFLOP/s | texts/s | fraction of the matmul limit |")
    print("|---|---:|---:|---:|")
    for name in jobs:
        limit = rate["matmul bf16"] if "bf16" in name or "amp" in name else rate["matmul fp32"]
        texts = "" if name.startswith("matmul") else f"{ROWS / statistics.median(seconds[name]):.1f}"
        print(f"| {name} | {rate[name]:.1f} | {texts} | {rate[name] / limit:.2f} |")
    print(subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip())


if __name__ == "__main__":
    main()

"""The machine's measured matrix-multiply throughput: the physical limit the engines are compared with.

Times ``torch.matmul`` on square and model-shaped products (MiniLM's 384x1536 feed-forward on a batch
of 32x128 tokens; SmolLM2's 576x1536 with one token per stream, 8 streams) in float32, bfloat16 (native
only with AVX512-BF16 or AMX) and int8 via ONNX Runtime's MatMulInteger where VNNI exists. Each figure
is the median of ``--repeats`` timings after a warm-up, in GFLOP/s (2·m·n·k per product).

Run: ``.venv/bin/python bench/matmul_bench.py [--repeats 20] [--threads N]``
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import time

import torch

SHAPES = {
    "square 1024": (1024, 1024, 1024),
    "MiniLM FFN, 32x128 tokens": (32 * 128, 384, 1536),
    "SmolLM2 FFN, 8 tokens (decode)": (8, 576, 1536),
    "SmolLM2 FFN, 1 token (decode)": (1, 576, 1536),
}


def gflops(m: int, k: int, n: int, dtype: torch.dtype, repeats: int) -> float:
    a, b = torch.randn(m, k).to(dtype), torch.randn(k, n).to(dtype)
    inner = max(1, int(2e8 // (m * k * n)))  # small products: many per timing, so the clock resolves them
    for _ in range(3):
        torch.matmul(a, b)
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        for _ in range(inner):
            torch.matmul(a, b)
        times.append((time.perf_counter() - started) / inner)
    return 2 * m * k * n / statistics.median(times) / 1e9


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=20)
    parser.add_argument("--threads", type=int, default=0, help="torch threads; 0 = torch's default (all cores)")
    args = parser.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    from hfgate.local.cpu import read_cpu

    print(subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip())
    print(f"CPU: {read_cpu().describe()}, {os.cpu_count()} logical CPUs, torch {torch.__version__}, "
          f"{torch.get_num_threads()} threads")  # fmt: skip
    print("| product (m x k x n) | float32 GFLOP/s | bfloat16 GFLOP/s | bf16 / fp32 |")
    print("|---|---:|---:|---:|")
    for name, (m, k, n) in SHAPES.items():
        fp32 = gflops(m, k, n, torch.float32, args.repeats)
        bf16 = gflops(m, k, n, torch.bfloat16, args.repeats)
        print(f"| {name} ({m}x{k}x{n}) | {fp32:.1f} | {bf16:.1f} | {bf16 / fp32:.2f} |")


if __name__ == "__main__":
    main()

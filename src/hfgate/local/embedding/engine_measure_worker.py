"""Child process timing every candidate embedding engine of one model (run by ``engine_choice``).

Usage: ``python -m hfgate.local.embedding.engine_measure_worker MODEL_DIR RECORD.json --engines=onnx,torch
[--threads=N] [--min-cosine=0.9999] [--cache-dir=DIR] [--rounds=3]``; writes the :class:`EngineChoice`
as JSON to ``RECORD.json`` (atomically), exits 1 with the reason on stderr if no engine qualifies.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from hfgate.local.batching import BatchLimits, pack_by_length
from hfgate.local.cpu import CpuSignature, read_cpu
from hfgate.local.embedding.calibration import calibration_texts
from hfgate.local.embedding.engine import EmbeddingEngine, EngineOptions
from hfgate.local.embedding.engine_choice import EXACT_ENGINES, load_engine
from hfgate.local.embedding.measurement import EngineChoice, EngineFigures, run_all, texts_per_second, worst_cosine
from hfgate.local.embedding.pipeline import read_pipeline
from hfgate.local.embedding.tokens import TextTokenizer, TokenBatch, model_max_length

ROUNDS = 3


def measure(
    path: Path, *, options: EngineOptions, names: list[str], min_cosine: float, cpu: CpuSignature, rounds: int = ROUNDS
) -> EngineChoice:
    """Load every engine in ``names``, time them interleaved, and pick the fastest that qualifies.

    Raises:
        RuntimeError: no engine ran, or none met ``min_cosine``; the message gives each one's figures.
    """
    pipeline = options.pipeline
    tokenizer = TextTokenizer(path, max_length=pipeline.max_seq_length, lowercase=pipeline.lowercase)
    groups = [served_passes(tokenizer.encode(texts), BatchLimits()) for texts in calibration_texts()]
    batches = [batch for group in groups for batch in group]
    engines: dict[str, EmbeddingEngine] = {}
    errors: dict[str, str] = {}
    vectors = {}
    for name in names:
        try:
            engine = load_engine(name, path, options=options)
            vectors[name] = run_all(engine, batches)  # also the warm-up pass
            engines[name] = engine
        except Exception as exc:  # one engine failing (e.g. an export) leaves the others in the running
            errors[name] = f"{type(exc).__name__}: {exc}"
    reference = next((vectors[name] for name in ("torch", "onnx") if name in vectors), None)
    speeds = texts_per_second(engines, groups, rounds=rounds)
    figures = [
        EngineFigures(
            engine=name,
            exact=name in EXACT_ENGINES,
            texts_per_second=round(speeds[name], 1),
            worst_cosine=None if reference is None else round(worst_cosine(vectors[name], reference), 6),
        )
        for name in engines
    ]
    figures += [EngineFigures(engine=name, exact=name in EXACT_ENGINES, error=error) for name, error in errors.items()]
    figures.sort(key=lambda figure: -(figure.texts_per_second or 0.0))
    qualified = [figure for figure in figures if figure.meets(min_cosine)]
    if not qualified:
        raise RuntimeError(f"No engine of [{', '.join(names)}] ran at cosine >= {min_cosine}: {figures}")
    return EngineChoice(
        engine=qualified[0].engine, reason="measured", cpu=cpu.describe(), min_cosine=min_cosine, figures=tuple(figures)
    )


def served_passes(encodings: list[Any], limits: BatchLimits) -> list[TokenBatch]:
    """The passes the batcher would cut ``encodings`` into, all waiting at once."""
    lengths = [len(encoding.ids) for encoding in encodings]
    packs = pack_by_length(
        lengths,
        max_tokens=limits.max_batch_tokens,
        max_size=limits.max_batch_size,
        pass_overhead=limits.pass_overhead_tokens,
    )
    return [TokenBatch.pad([encodings[i] for i in pack]) for pack in packs]


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="engine_measure_worker")
    parser.add_argument("model_dir", type=Path)
    parser.add_argument("record", type=Path)
    parser.add_argument("--engines", required=True)
    parser.add_argument("--threads", type=int, default=0)
    parser.add_argument("--min-cosine", type=float, default=0.9999)
    parser.add_argument("--cache-dir", type=Path)
    parser.add_argument("--rounds", type=int, default=ROUNDS)
    args = parser.parse_args(argv)
    pipeline = read_pipeline(args.model_dir, fallback_max_length=model_max_length(args.model_dir))
    options = EngineOptions(pipeline=pipeline, cache_dir=args.cache_dir or args.record.parent, threads=args.threads)
    try:
        choice = measure(
            args.model_dir,
            options=options,
            names=args.engines.split(","),
            min_cosine=args.min_cosine,
            cpu=read_cpu(),
            rounds=args.rounds,
        )
    except RuntimeError as exc:
        print(exc, file=sys.stderr)
        return 1
    partial = args.record.with_suffix(".tmp")
    partial.write_text(json.dumps(choice.public(), indent=1), encoding="utf-8")
    partial.replace(args.record)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

"""Speech recognition on the CPU: hfgate's local runner against transformers' pipeline and faster-whisper.

The model is whisper-small's architecture (768 wide, 12 encoder and 12 decoder layers, Whisper's vocabulary
of 51,865 tokens, 99 languages) with random weights: no checkpoint can be downloaded here, and speed does not
depend on the weights' values. Random weights write random tokens, so each window's decoding is fixed at
``--tokens`` (EOS suppressed in every engine: the same work per window everywhere). The audio is seeded
noise of ``--seconds``.

Each round, interleaved:
- ``transformers``: ``pipeline("automatic-speech-recognition")`` as hfgate ran it before (30 s windows with
  5 s overlaps, ``chunk_length_s=30``), greedy, language given;
- ``hfgate``: the local runner (``SpeechRecognizer``) on the same request, once it has chosen its engine
  (CTranslate2 where it decodes the same tokens faster); its text must equal the pipeline's;
- ``faster-whisper fp32`` and ``int8``: ``WhisperModel.transcribe`` on the same conversion, greedy, language
  given, no timestamps, no VAD, no temperature fallback: its own 30 s windows, one after the other, without
  overlaps (less audio decoded than the pipeline's overlapping windows: its text differs, reported as is).
  Its ``max_new_tokens`` is ``2 * --tokens - 4``: faster-whisper makes it CTranslate2's ``max_length`` with the
  prompt's 4 tokens, and CTranslate2 writes at most half its ``max_length`` (``src/models/whisper.cc``), so
  ``--tokens`` itself would decode about half as many tokens as the other engines.
Figures: seconds per file (median of the rounds), the real-time factor (seconds of compute per second of
audio) and the ratios.

Run: ``flock /tmp/hfgate-bench.lock .venv/bin/python bench/asr_bench.py --rounds 3``
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.corpus_bench import cpu, load
from tests.pipelines.tiny_models import _whisper_tokenizer, wav_bytes

from hfgate.local.batching import BatchLimits
from hfgate.local.cache import Compute
from hfgate.local.pipelines.speech import SpeechRecognizer
from hfgate.local.pipelines.whisper_ct2 import converted_path
from hfgate.pipelines.audio import AudioFile
from hfgate.pipelines.automatic_speech_recognition import Transcription

RATE = 16000


def build_small(path: Path) -> Path:
    """whisper-small's shape, random weights, Whisper's multilingual vocabulary's size."""
    import torch
    from transformers import GenerationConfig, WhisperConfig, WhisperFeatureExtractor, WhisperForConditionalGeneration
    from transformers.models.whisper.tokenization_whisper import LANGUAGES

    languages = tuple(LANGUAGES)[:99]
    tokenizer = _whisper_tokenizer(languages, words=50257)
    ids = {token: tokenizer.convert_tokens_to_ids(token) for token in tokenizer.all_special_tokens}
    end, start = ids["<|endoftext|>"], ids["<|startoftranscript|>"]
    torch.manual_seed(0)
    config = WhisperConfig(
        vocab_size=len(tokenizer), num_mel_bins=80, d_model=768, encoder_layers=12, decoder_layers=12,
        encoder_attention_heads=12, decoder_attention_heads=12, encoder_ffn_dim=3072, decoder_ffn_dim=3072,
        max_source_positions=1500, max_target_positions=448, pad_token_id=end, bos_token_id=end, eos_token_id=end,
        decoder_start_token_id=start,
    )  # fmt: skip
    model = WhisperForConditionalGeneration(config)
    with torch.no_grad():  # wide margins between the top tokens: greedy decoding picks the same token in
        model.proj_out.weight *= 50  # every engine, as trained weights do (random ones tie within float noise)
    model.generation_config = GenerationConfig(
        max_length=448, num_beams=1, do_sample=False, decoder_start_token_id=start, bos_token_id=end,
        eos_token_id=end, pad_token_id=end, is_multilingual=True, max_initial_timestamp_index=50,
        lang_to_id={f"<|{code}|>": ids[f"<|{code}|>"] for code in languages},
        task_to_id={"transcribe": ids["<|transcribe|>"], "translate": ids["<|translate|>"]},
        no_timestamps_token_id=ids["<|notimestamps|>"], prev_sot_token_id=ids["<|startofprev|>"],
        begin_suppress_tokens=[end], suppress_tokens=[end],  # EOS never: every window decodes --tokens
    )  # fmt: skip
    model.save_pretrained(str(path))
    tokenizer.save_pretrained(str(path))
    WhisperFeatureExtractor(feature_size=80).save_pretrained(str(path))
    return path


def timed(run: Callable[[], Any]) -> tuple[float, Any]:
    start = time.perf_counter()
    out = run()
    return time.perf_counter() - start, out


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--seconds", type=float, default=120.0)
    parser.add_argument("--tokens", type=int, default=100, help="tokens decoded per 30 s window")
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()
    import torch
    from faster_whisper import WhisperModel
    from transformers import pipeline

    torch.set_num_threads(args.threads)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    print(f"CPU: {cpu()}; load before: {load()}")
    samples = (np.random.default_rng(0).standard_normal(int(args.seconds * RATE)) * 0.1).astype(np.float32)
    wav = wav_bytes(samples, rate=RATE)
    with tempfile.TemporaryDirectory() as tmp:
        model = build_small(Path(tmp) / "whisper-small-shaped")
        cache = Path(tmp) / "models"
        runner = SpeechRecognizer(model, compute=Compute(), limits=BatchLimits(), name="asr", cache_dir=cache,
                                  threads=args.threads)  # fmt: skip
        assert runner.switched.wait(1800), "the runner did not choose its engine"
        chosen = converted_path(model, cache) / "choice.json"
        choice = json.loads(chosen.read_text()) if chosen.is_file() else "no conversion kept (the log says why)"
        print(f"hfgate's engine: {runner.engine} (one window: {choice})")
        pipe = pipeline("automatic-speech-recognition", model=str(model), device="cpu")
        fast = {ct: WhisperModel(str(converted_path(model, cache)), device="cpu", compute_type=ct,
                                 cpu_threads=args.threads) for ct in ("float32", "int8")}  # fmt: skip
        generate = {"language": "en", "max_new_tokens": args.tokens}
        request = Transcription(audio=AudioFile(data=wav), language="en", generate={"max_new_tokens": args.tokens})

        def theirs() -> str:
            heard = pipe({"raw": samples, "sampling_rate": RATE}, chunk_length_s=30.0, generate_kwargs=generate)
            return str(heard["text"]).strip()

        def faster(compute_type: str) -> str:
            segments, _ = fast[compute_type].transcribe(
                samples, language="en", beam_size=1, temperature=0.0, without_timestamps=True, vad_filter=False,
                condition_on_previous_text=False, compression_ratio_threshold=None, log_prob_threshold=None,
                no_speech_threshold=None, max_new_tokens=2 * args.tokens - 4, suppress_blank=True,
            )  # fmt: skip
            return "".join(s.text for s in segments)

        figures: dict[str, list[float]] = {"transformers": [], "hfgate": [], "faster-whisper fp32": [],
                                           "faster-whisper int8": []}  # fmt: skip
        for _ in range(args.rounds):
            seconds, text = timed(theirs)
            figures["transformers"].append(seconds)
            start = time.perf_counter()
            ours = (await runner.run(request)).body
            figures["hfgate"].append(time.perf_counter() - start)
            assert ours["text"] == text, "hfgate's text differs from the pipeline's"
            figures["faster-whisper fp32"].append(timed(lambda: faster("float32"))[0])
            figures["faster-whisper int8"].append(timed(lambda: faster("int8"))[0])
        runner.close()
    base = statistics.median(figures["hfgate"])
    print(f"{args.seconds:.0f} s of audio, {args.tokens} tokens per window, {args.rounds} rounds, medians")
    print("| engine | seconds per file | real-time factor | hfgate's speed against it |")
    print("|---|---|---|---|")
    for name, each in figures.items():
        median = statistics.median(each)
        print(f"| {name} | {median:.2f} | {median / args.seconds:.3f} | {median / base:.2f}x |")
    print(f"load after: {load()}")


if __name__ == "__main__":
    asyncio.run(main())

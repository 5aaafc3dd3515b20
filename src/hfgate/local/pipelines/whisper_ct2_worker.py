"""A Whisper model converted to CTranslate2, run as a child process: ``python -m
hfgate.local.pipelines.whisper_ct2_worker DIR OUT``.

The conversion is CTranslate2's own (``TransformersConverter``, float32: the weights unchanged). Before it is
kept it is checked and timed against transformers on the same window of audio (30 s of seeded noise, the
model's own feature extractor): greedy decoding must write the same tokens, and each engine's time for the
window (the encoder and a window of speech's worth of tokens) is recorded. ``OUT/choice.json`` holds
``{"same": bool, "transformers_s": float, "ctranslate2_s": float}``; the runner moves to CTranslate2 only when
it is the same and faster on this CPU. ``OUT`` appears atomically, or not at all.
"""

from __future__ import annotations

import json
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

from hfgate.local.lazy_imports import import_torch_stack

_TOKENS = 96
"""Decoded per timing, the end of text suppressed in both engines: a 30 s window of speech's worth (2–3 words a
second). Fewer would time mostly the encoder, where the engines compare otherwise than over a whole window."""
_COPIED = ("tokenizer.json", "preprocessor_config.json")


def convert(model_dir: Path, target: Path) -> None:
    """Write ``model_dir`` (a transformers Whisper) converted to CTranslate2 into the directory ``target``.

    Raises:
        ValueError: the conversion does not decode as transformers does.
    """
    import ctranslate2.converters

    work = Path(tempfile.mkdtemp(dir=target.parent, prefix=".ct2-"))
    try:
        copied = [name for name in _COPIED if (model_dir / name).is_file()]
        converter = ctranslate2.converters.TransformersConverter(str(model_dir), copy_files=copied)
        converter.convert(str(work / "model"), force=True)
        choice = _compare(model_dir, work / "model")
        if not choice["same"]:
            raise ValueError("the CTranslate2 conversion decodes other tokens than transformers; it is not kept")
        (work / "model" / "choice.json").write_text(json.dumps(choice))
        os.replace(work / "model", target)  # atomic: a loader sees the whole directory or none
    finally:
        shutil.rmtree(work, ignore_errors=True)


def _compare(model_dir: Path, converted: Path) -> dict[str, Any]:
    import ctranslate2

    torch, transformers = import_torch_stack("transformers")
    model = transformers.WhisperForConditionalGeneration.from_pretrained(str(model_dir), local_files_only=True).eval()
    features_of = transformers.WhisperFeatureExtractor.from_pretrained(str(model_dir), local_files_only=True)
    noise = np.random.default_rng(0).standard_normal(features_of.n_samples).astype(np.float32) * 0.1
    features = features_of(noise, sampling_rate=features_of.sampling_rate, return_tensors="np").input_features
    config = model.generation_config
    prompt, asked = [config.decoder_start_token_id], {}
    if getattr(config, "is_multilingual", False):
        language = next(iter(config.lang_to_id))
        prompt += [config.lang_to_id[language], config.task_to_id["transcribe"]]
        asked = {"language": language.strip("<|>"), "task": "transcribe"}
    prompt.append(config.no_timestamps_token_id)
    count = min(_TOKENS, int(model.config.max_target_positions) // 2 - len(prompt))
    suppressed = sorted({*(config.suppress_tokens or ()), config.eos_token_id})
    threads = torch.get_num_threads()
    ours = ctranslate2.models.Whisper(str(converted), device="cpu", compute_type="float32", intra_threads=threads)
    stored = ctranslate2.StorageView.from_array(np.ascontiguousarray(features))

    def theirs() -> list[int]:
        with torch.inference_mode():
            out = model.generate(torch.from_numpy(features), max_new_tokens=count, suppress_tokens=suppressed, **asked)
        return [int(t) for t in out[0].tolist() if t != config.eos_token_id]

    def converted_tokens() -> list[int]:
        found = ours.generate(stored, [prompt], **{**decoding(len(prompt), count), "suppress_tokens": suppressed})
        return [int(t) for t in found[0].sequences_ids[0]]

    timed = {}
    for name, run in (("transformers_s", theirs), ("ctranslate2_s", converted_tokens)):
        run()  # the first pass allocates
        start = time.perf_counter()
        tokens = run()
        timed[name] = (time.perf_counter() - start, tokens)
    same = timed["transformers_s"][1] == timed["ctranslate2_s"][1]
    return {"same": same, **{name: round(seconds, 4) for name, (seconds, _) in timed.items()}}


def decoding(prompt: int, new_tokens: int) -> dict[str, Any]:
    """CTranslate2's greedy decoding as transformers' Whisper decodes: the generation config's
    ``suppress_tokens`` everywhere and its ``begin_suppress_tokens`` first (both written into the converted
    model's config), ``new_tokens`` at most after a ``prompt`` of that many tokens. CTranslate2 writes at most
    half its ``max_length`` (as OpenAI's Whisper samples half its context) and at most ``max_length`` with the
    prompt's: the ``max_length`` that allows exactly ``new_tokens``."""
    max_length = max(2 * new_tokens, new_tokens + prompt)
    return {"beam_size": 1, "max_length": max_length, "suppress_blank": True, "suppress_tokens": [-1]}


if __name__ == "__main__":
    convert(Path(sys.argv[1]), Path(sys.argv[2]))

"""Whisper on CTranslate2 (the engine of faster-whisper), where it decodes as transformers does and faster.

On the CPU, with ``ctranslate2`` installed, a Whisper runner converts its model once (into the data directory,
in a child process while transformers serves the first requests: ``whisper_ct2_worker``). The child checks
that greedy decoding writes the same tokens and times both engines on one window; the runner moves to
CTranslate2 when it is the same and faster on this CPU, and says so in the log. Only what it decodes as
transformers does moves: greedy text without timestamps (``json`` and ``text`` answers, the Inference API's
default), with the language given or detected. Timestamps, sampling and a prompt stay on transformers, whose
timestamp rules CTranslate2 does not follow token for token.

The audio is cut into windows, and their texts joined, by transformers' own pipeline (its ``preprocess`` and
``postprocess``): only the model's passes change, and a long file's windows are decoded in one batch.
"""

from __future__ import annotations

import json
import logging
import threading
from pathlib import Path
from typing import Any

import numpy as np

from hfgate.local.fingerprint import model_fingerprint
from hfgate.local.lazy_imports import import_torch_stack
from hfgate.local.measuring.child import run_export_worker
from hfgate.local.one_maker import made_once
from hfgate.local.pipelines.whisper_ct2_worker import decoding

log = logging.getLogger("hfgate.local")

RECIPE = "whisper-ct2-float32-v1"


def converted_path(model_dir: Path, cache_dir: Path) -> Path:
    """Where the CTranslate2 conversion of ``model_dir`` is kept (it may not exist yet)."""
    import ctranslate2

    recipe = f"{RECIPE}|ctranslate2 {ctranslate2.__version__}"
    return cache_dir / "ctranslate2" / model_fingerprint(model_dir, recipe=recipe)


class CTranslateWhisper:
    """``model_dir``'s Whisper converted to CTranslate2 (float32), decoding greedily without timestamps.

    Args:
        converted: the conversion's directory.
        threads: compute threads; 0 lets CTranslate2 choose.
    """

    def __init__(self, converted: Path, *, threads: int = 0) -> None:
        import ctranslate2

        self._ct2 = ctranslate2
        self.model = ctranslate2.models.Whisper(str(converted), device="cpu", compute_type="float32",
                                                intra_threads=threads)  # fmt: skip

    def transcribe(self, pipe: Any, audio: dict[str, Any], parameters: dict[str, Any]) -> dict[str, Any]:
        """The pipeline's answer for ``audio`` with ``parameters`` (``chunk_length_s``, ``generate_kwargs``:
        ``language``, ``task``, ``max_new_tokens``), the passes on CTranslate2."""
        windows = list(pipe.preprocess(audio, chunk_length_s=parameters.get("chunk_length_s", 0)))
        features = np.concatenate([np.asarray(w.pop("input_features"), dtype=np.float32) for w in windows])
        # encoded once: the language detection and the decoding both read the encoder's output
        stored = self.model.encode(self._ct2.StorageView.from_array(np.ascontiguousarray(features)))
        generate = parameters.get("generate_kwargs", {})
        config = pipe.model.generation_config
        prompts = self._prompts(stored, config, generate, count=len(windows), tokenizer=pipe.tokenizer)
        new_tokens = generate.get("max_new_tokens") or config.max_new_tokens
        new_tokens = new_tokens or (config.max_length or 448) - len(prompts[0])
        found = self.model.generate(stored, prompts, **decoding(len(prompts[0]), int(new_tokens)))
        torch, _ = import_torch_stack("transformers")
        outputs = [
            {**window, "tokens": torch.tensor([result.sequences_ids[0]], dtype=torch.long)}
            for window, result in zip(windows, found, strict=True)
        ]
        for output in outputs:
            if output.get("stride") is None:
                output.pop("stride", None)
        return dict(pipe.postprocess(outputs))

    def _prompts(self, stored: Any, config: Any, generate: dict[str, Any], *, count: int, tokenizer: Any) -> list[Any]:
        start = [config.decoder_start_token_id]
        if not getattr(config, "is_multilingual", False):
            return [[*start, config.no_timestamps_token_id]] * count
        task = config.task_to_id[generate.get("task", "transcribe")]
        if generate.get("language"):
            languages = [config.lang_to_id[f"<|{generate['language']}|>"]] * count
        else:  # each window's own, as transformers detects it: the likeliest language token first
            languages = [tokenizer.convert_tokens_to_ids(found[0][0]) for found in self.model.detect_language(stored)]
        return [[*start, language, task, config.no_timestamps_token_id] for language in languages]

    def detects(self) -> bool:
        """Whether CTranslate2 can detect this model's language (it needs Whisper's multilingual vocabulary)."""
        return bool(self.model.is_multilingual)


def switch(runner: Any, path: Path, cache_dir: Path, threads: int) -> None:
    """Convert ``path`` (once), then give ``runner`` the converted model where it decodes the same tokens and
    faster (``runner.ctranslate2``); ``runner.switched`` is set in every case."""
    try:
        target = converted_path(path, cache_dir)
        module = "hfgate.local.pipelines.whisper_ct2_worker"
        made_once(target, lambda: run_export_worker(
            module, path, target, made=target / "model.bin", what="the Whisper model", into="CTranslate2"
        ))  # fmt: skip
        choice = json.loads((target / "choice.json").read_text())
        faster = choice["ctranslate2_s"] < choice["transformers_s"]
        if choice["same"] and faster:
            runner.ctranslate2 = CTranslateWhisper(target, threads=threads)
        log.info(
            f"[{runner.name}] speech recognition runs on {'CTranslate2' if faster else 'transformers'}: "
            f"{choice['ctranslate2_s']:.3f}s against {choice['transformers_s']:.3f}s for one window",
            extra={"event": "model.engine.choice", "model": str(path), **choice},
        )
    except Exception as exc:  # transformers keeps serving; the reason goes to the log
        log.warning(f"[{runner.name}] stays on transformers: {exc}", extra={"event": "model.export.failed"})
    finally:
        runner.switched.set()


def start_switch(runner: Any, path: Path, cache_dir: Path | None, *, threads: int, device: str) -> None:
    """Start :func:`switch` in the background where it can apply (the CPU, ``ctranslate2`` installed, a
    ``cache_dir``); otherwise set ``runner.switched`` at once."""
    try:
        import ctranslate2  # noqa: F401
    except ImportError:
        cache_dir = None
    if cache_dir is None or not device.startswith("cpu"):
        runner.switched.set()
        return
    worker = threading.Thread(target=switch, args=(runner, path, cache_dir, threads), name=f"ct2-{runner.name}")
    worker.daemon = True
    worker.start()

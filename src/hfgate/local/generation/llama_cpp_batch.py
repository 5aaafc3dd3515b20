"""Continuous batching on llama.cpp (optional engine for GGUF models, ``pip install 'hfgate[llama-cpp]'``).

llama.cpp runs the GGUF's quantized weights directly, several times faster per token than transformers
on a CPU for small models. Each row of the batch is a llama.cpp sequence id in one shared (unified) KV
cache; a step decodes one token of every row in a single ``llama_decode`` call, and a leaving row's
cache cells are freed. Scores come back as torch tensors so sampling is the same code for every engine.
"""

from __future__ import annotations

import ctypes
import logging
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch

from hfgate.errors import BadRequestError

log = logging.getLogger("hfgate.local")
_GGML_LOG_ERROR = 4


def _forward_errors(level: int, text: bytes, _: Any) -> None:
    # llama.cpp prints hundreds of lines per model load; keep only its errors, in our log.
    if level == _GGML_LOG_ERROR:
        log.error("llama.cpp: %s", text.decode(errors="replace").rstrip())


_LOG_ERRORS: Any = None


@dataclass(slots=True)
class _Row:
    seq: int
    position: int


class LlamaCppModel:
    """A GGUF model and one llama.cpp context sized for ``max_rows`` sequences.

    Args:
        gguf: the GGUF file.
        max_rows: sequences decoded together.
        context: KV cells shared by all sequences (the model's context length is a good value).
        threads: CPU threads; 0 means every core.

    Raises:
        BadRequestError: llama-cpp-python is not installed; the message names the extra.
    """

    def __init__(self, gguf: Path, *, max_rows: int, context: int, threads: int = 0) -> None:
        try:
            import llama_cpp
        except ImportError as exc:
            raise BadRequestError(
                "The [llama.cpp] engine needs llama-cpp-python; install it with `pip install 'hfgate[llama-cpp]'`"
                " or use [service_settings.engine] [transformers]"
            ) from exc
        self.api: Any = llama_cpp
        global _LOG_ERRORS
        if _LOG_ERRORS is None:  # one callback for the process, kept alive while llama.cpp may call it
            _LOG_ERRORS = llama_cpp.llama_log_callback(_forward_errors)
        llama_cpp.llama_log_set(_LOG_ERRORS, None)
        llama_cpp.llama_backend_init()
        self.model = llama_cpp.llama_model_load_from_file(str(gguf).encode(), llama_cpp.llama_model_default_params())
        params = llama_cpp.llama_context_default_params()
        params.n_ctx, params.n_batch, params.n_seq_max, params.kv_unified = context, 512, max_rows, True
        params.n_threads = params.n_threads_batch = threads or os.cpu_count() or 1
        self.ctx = llama_cpp.llama_init_from_model(self.model, params)
        self.vocab = int(llama_cpp.llama_vocab_n_tokens(llama_cpp.llama_model_get_vocab(self.model)))
        self.batch = llama_cpp.llama_batch_init(512, 0, max_rows)
        self.max_rows = max_rows
        self.memory_bytes = int(llama_cpp.llama_model_size(self.model))

    def __del__(self) -> None:
        # Freed with the last reference, so a batch still decoding never sees a freed context.
        api = getattr(self, "api", None)
        if api is not None and getattr(self, "batch", None) is not None:
            api.llama_batch_free(self.batch)
            api.llama_free(self.ctx)
            api.llama_model_free(self.model)


class LlamaCppBatch:
    """A decode batch over a :class:`LlamaCppModel`."""

    penalize_prompt = True
    engine = "llama.cpp"
    resumable = True

    def __init__(self, model: LlamaCppModel) -> None:
        self._m = model
        self._rows: list[_Row] = []
        self._free = list(range(model.max_rows))

    def prefill(self, prompts: list[list[int]]) -> torch.Tensor:
        return torch.stack([self._prefill_one(prompt) for prompt in prompts])

    def _prefill_one(self, prompt_ids: list[int]) -> torch.Tensor:
        row = _Row(seq=self._free.pop(0), position=0)
        self._rows.append(row)
        for start in range(0, len(prompt_ids), 512):
            chunk = prompt_ids[start : start + 512]
            last = start + len(chunk) == len(prompt_ids)
            self._decode([(t, start + i, row.seq, last and i == len(chunk) - 1) for i, t in enumerate(chunk)])
        row.position = len(prompt_ids)
        return self._logits(len(prompt_ids) - 1 - (len(prompt_ids) - 1) // 512 * 512)

    def step(self, tokens: list[int]) -> torch.Tensor:
        self._decode([(t, r.position, r.seq, True) for t, r in zip(tokens, self._rows, strict=True)])
        for row in self._rows:
            row.position += 1
        return torch.stack([self._logits(i) for i in range(len(tokens))])

    def retain(self, rows: list[int]) -> None:
        kept = set(rows)
        memory = self._m.api.llama_get_memory(self._m.ctx)
        for index, row in enumerate(self._rows):
            if index not in kept:
                self._m.api.llama_memory_seq_rm(memory, row.seq, -1, -1)
                self._free.append(row.seq)
        self._rows = [self._rows[i] for i in rows]

    def _decode(self, items: list[tuple[int, int, int, bool]]) -> None:
        batch = self._m.batch
        batch.n_tokens = len(items)
        for i, (token, position, seq, logits) in enumerate(items):
            batch.token[i], batch.pos[i], batch.n_seq_id[i] = token, position, 1
            batch.seq_id[i][0], batch.logits[i] = seq, logits
        status = self._m.api.llama_decode(self._m.ctx, batch)
        if status != 0:
            raise RuntimeError(f"llama_decode failed with status {status} (KV cache full?)")

    def _logits(self, index: int) -> torch.Tensor:
        pointer = self._m.api.llama_get_logits_ith(self._m.ctx, index)
        row = np.ctypeslib.as_array(ctypes.cast(pointer, ctypes.POINTER(ctypes.c_float)), shape=(self._m.vocab,))
        return torch.from_numpy(row.copy())

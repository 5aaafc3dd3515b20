"""Continuous batching on ONNX Runtime, for decoder-only models exported by ``onnx_export``.

The graph's attention (GroupQueryAttention) reads each row's length from the attention mask's row sum
and keeps a row's cache at the start of its buffer (right padding), so rows of different lengths share
one batch without shifting anyone's positions: a row's new key and value go to its own next position,
and rotary positions follow from its length. A step runs the whole model in one ``run_with_iobinding``
(no Python between operators), the cache written in place (:class:`OnnxBatch`). Joining rows are
prefilled together, right-padded, and their cache is padded on the right and stacked under the batch's;
a leaving row is dropped and the buffer trimmed to the longest remaining row (rounded up to a chunk).
Scores come back as torch tensors so sampling is the same code for every engine.
"""

from __future__ import annotations

import importlib
import json
from pathlib import Path
from typing import Any

import numpy as np
import torch
from numpy.typing import NDArray

from hfgate.errors import BadRequestError

_PAST = "past_key_values.{}.{}"


class OnnxDecoder:
    """An exported decoder in an ONNX Runtime CPU session.

    Args:
        model_dir: the export's directory (``model.onnx``).
        threads: intra-op threads; 0 means every core.
    """

    def __init__(self, model_dir: Path, *, threads: int = 0) -> None:
        onnxruntime = _import_onnxruntime()
        options = onnxruntime.SessionOptions()
        options.graph_optimization_level = onnxruntime.GraphOptimizationLevel.ORT_ENABLE_ALL
        options.intra_op_num_threads = threads
        options.inter_op_num_threads = 1
        # Spinning stays on (the embedding sessions switch it off): for decode steps it measured as fast
        # or faster, the event loop no slower (docs/benchmarks/generation.md).
        self.session = onnxruntime.InferenceSession(
            str(model_dir / "model.onnx"), options, providers=["CPUExecutionProvider"]
        )
        past = {i.name: i for i in self.session.get_inputs() if i.name.startswith("past_key_values.")}
        self.layers = len(past) // 2
        self.past_names = [_PAST.format(layer, kind) for layer in range(self.layers) for kind in ("key", "value")]
        self.present_names = [name.replace("past_key_values", "present") for name in self.past_names]
        self.output_names = ["logits", *self.present_names]
        config = json.loads((model_dir / "genai_config.json").read_text())["model"]
        decoder = config["decoder"]
        self.kv_heads, self.head_size = int(decoder["num_key_value_heads"]), int(decoder["head_size"])
        self.vocab_size = int(config["vocab_size"])
        self.memory_bytes = sum(p.stat().st_size for p in model_dir.glob("model.onnx*"))

    def run(self, ids: NDArray[np.int64], mask: NDArray[np.int64], past: list[Any]) -> tuple[Any, list[Any]]:
        feed = {"input_ids": ids, "attention_mask": mask, **dict(zip(self.past_names, past, strict=True))}
        logits, *present = self.session.run(self.output_names, feed)
        return logits, present


class OnnxBatch:
    """A decode batch over an :class:`OnnxDecoder`.

    The KV cache lives in one buffer per layer and kind, ``[rows, kv_heads, capacity, head_size]``, bound
    to the session (IOBinding) as both the past input and the present output: GroupQueryAttention sees
    the same memory on both sides and writes each row's new key and value in place at the row's length,
    so a step copies no cache (the unbound session copied the whole cache into a new output every step).
    The capacity grows by ``chunk`` positions when the longest row reaches it.

    Args:
        decoder: the exported model in its session.
        chunk: positions the cache's capacity is rounded up to (and grows by).
    """

    penalize_prompt = True
    engine = "onnx"
    resumable = True

    def __init__(self, decoder: OnnxDecoder, *, chunk: int = 256) -> None:
        self._d = decoder
        self._chunk = chunk
        self._cache: list[NDArray[np.float32]] = []
        self._lengths = np.zeros(0, dtype=np.int64)
        self._binding: Any = None

    def prefill(self, prompts: list[list[int]]) -> torch.Tensor:
        lengths = np.array([len(p) for p in prompts], dtype=np.int64)
        width = int(lengths.max())
        ids = np.array([p + [0] * (width - len(p)) for p in prompts], dtype=np.int64)
        mask = (np.arange(width)[None, :] < lengths[:, None]).astype(np.int64)
        empty = np.zeros((len(prompts), self._d.kv_heads, 0, self._d.head_size), dtype=np.float32)
        logits, present = self._d.run(ids, mask, [empty] * len(self._d.past_names))
        self._join(present, lengths)
        return torch.from_numpy(logits[np.arange(len(prompts)), lengths - 1])

    def step(self, tokens: list[int]) -> torch.Tensor:
        width = int(self._lengths.max()) + 1  # row i attends to its own length + 1 positions
        if width > self._cache[0].shape[2]:
            self._store([_right_pad(states, self._capacity(width)) for states in self._cache])
        ids = np.array(tokens, dtype=np.int64)[:, None]
        mask = (np.arange(width)[None, :] <= self._lengths[:, None]).astype(np.int64)
        logits = np.empty((len(tokens), 1, self._d.vocab_size), dtype=np.float32)
        self._binding.bind_cpu_input("input_ids", ids)
        self._binding.bind_cpu_input("attention_mask", mask)
        self._binding.bind_output("logits", "cpu", 0, np.float32, list(logits.shape), logits.ctypes.data)
        self._d.session.run_with_iobinding(self._binding)
        self._lengths = self._lengths + 1
        return torch.from_numpy(logits[:, -1])

    def retain(self, rows: list[int]) -> None:
        if not rows:
            self._cache, self._lengths, self._binding = [], self._lengths[:0], None
            return
        index = np.array(rows, dtype=np.int64)
        self._lengths = self._lengths[index]
        capacity = self._capacity(int(self._lengths.max()) + 1)
        self._store([np.ascontiguousarray(states[index, :, :capacity]) for states in self._cache])

    def _join(self, present: list[Any], lengths: NDArray[np.int64]) -> None:
        mine = self._cache or [states[:0] for states in present]
        capacity = self._capacity(max(mine[0].shape[2], present[0].shape[2] + 1))
        pairs = zip(mine, present, strict=True)
        self._store([np.concatenate([_right_pad(a, capacity), _right_pad(b, capacity)]) for a, b in pairs])
        self._lengths = np.concatenate([self._lengths, lengths])

    def _capacity(self, width: int) -> int:
        return -(-width // self._chunk) * self._chunk

    def _store(self, cache: list[NDArray[np.float32]]) -> None:
        """Keep ``cache`` (contiguous buffers) and bind each as its layer's past input and present output."""
        onnxruntime = _import_onnxruntime()
        self._cache, self._binding = cache, self._d.session.io_binding()
        for past, present, states in zip(self._d.past_names, self._d.present_names, cache, strict=True):
            value = onnxruntime.OrtValue.ortvalue_from_numpy(states)  # shares the array's memory
            self._binding.bind_ortvalue_input(past, value)
            self._binding.bind_ortvalue_output(present, value)


def _import_onnxruntime() -> Any:
    try:
        return importlib.import_module("onnxruntime")
    except ImportError as exc:
        raise BadRequestError(
            "The [onnx] generation engines need [onnxruntime]; install it with "
            "`pip install 'hfgate[local]'` or set [service_settings.engine] to [transformers]"
        ) from exc


def _right_pad(states: Any, width: int) -> Any:
    """``[batch, heads, seq, dim]`` states padded with zeros on the right to ``width`` positions."""
    missing = width - states.shape[2]
    return states if missing == 0 else np.pad(states, ((0, 0), (0, 0), (0, missing), (0, 0)))

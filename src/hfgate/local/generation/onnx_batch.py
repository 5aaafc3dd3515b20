"""Continuous batching on ONNX Runtime, for decoder-only models exported by ``onnx_export``.

The graph's attention (GroupQueryAttention) reads each row's length from the attention mask's row sum
and keeps a row's cache at the start of its buffer (right padding), so rows of different lengths share
one batch without shifting anyone's positions: a row's new key and value go to its own next position,
and rotary positions follow from its length. A step runs the whole model in one ``session.run`` (no
Python between operators). Joining rows are prefilled together, right-padded, and their cache is padded
on the right and stacked under the batch's; a leaving row is dropped and the buffer trimmed to the
longest remaining row. Scores come back as torch tensors so sampling is the same code for every engine.
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
        self.session = onnxruntime.InferenceSession(
            str(model_dir / "model.onnx"), options, providers=["CPUExecutionProvider"]
        )
        past = {i.name: i for i in self.session.get_inputs() if i.name.startswith("past_key_values.")}
        self.layers = len(past) // 2
        self.past_names = [_PAST.format(layer, kind) for layer in range(self.layers) for kind in ("key", "value")]
        self.output_names = ["logits", *(name.replace("past_key_values", "present") for name in self.past_names)]
        decoder = json.loads((model_dir / "genai_config.json").read_text())["model"]["decoder"]
        self.kv_heads, self.head_size = int(decoder["num_key_value_heads"]), int(decoder["head_size"])
        self.memory_bytes = sum(p.stat().st_size for p in model_dir.glob("model.onnx*"))

    def run(self, ids: NDArray[np.int64], mask: NDArray[np.int64], past: list[Any]) -> tuple[Any, list[Any]]:
        feed = {"input_ids": ids, "attention_mask": mask, **dict(zip(self.past_names, past, strict=True))}
        logits, *present = self.session.run(self.output_names, feed)
        return logits, present


class OnnxBatch:
    """A decode batch over an :class:`OnnxDecoder`."""

    penalize_prompt = True

    def __init__(self, decoder: OnnxDecoder) -> None:
        self._d = decoder
        self._past: list[Any] = []
        self._lengths = np.zeros(0, dtype=np.int64)

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
        ids = np.array(tokens, dtype=np.int64)[:, None]
        # Row i attends to its own length + 1 positions; the mask's width is the buffer's + 1.
        mask = (np.arange(self._past[0].shape[2] + 1)[None, :] <= self._lengths[:, None]).astype(np.int64)
        logits, self._past = self._d.run(ids, mask, self._past)
        self._lengths = self._lengths + 1
        return torch.from_numpy(logits[:, -1])

    def retain(self, rows: list[int]) -> None:
        if not rows:
            self._past, self._lengths = [], self._lengths[:0]
            return
        index = np.array(rows, dtype=np.int64)
        self._lengths = self._lengths[index]
        width = int(self._lengths.max())
        self._past = [states[index, :, :width] for states in self._past]

    def _join(self, present: list[Any], lengths: NDArray[np.int64]) -> None:
        if not self._past:
            self._past, self._lengths = present, lengths
            return
        width = max(self._past[0].shape[2], present[0].shape[2])
        self._past = [
            np.concatenate([_right_pad(mine, width), _right_pad(theirs, width)])
            for mine, theirs in zip(self._past, present, strict=True)
        ]
        self._lengths = np.concatenate([self._lengths, lengths])


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

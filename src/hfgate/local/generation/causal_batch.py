"""Continuous batching for decoder-only models: requests join and leave one shared KV cache.

Rows are left-padded to a common length. Requests joining together are prefilled in one forward pass
(left-padded, each with its own positions), then their cache is padded and stacked onto the batch's;
a leaving request's row is dropped, and padding columns no row
needs any more are trimmed. Each row keeps its own position ids, so padding never shifts its positions
and its output is the one it would get alone.

The ids, mask, positions and KV cache live on the model's device (the CPU, or a CUDA GPU); what comes
back to the host each step is one row of next-token logits per request, in float32: what the sampler
reads (its log probabilities are over the whole vocabulary). Steps run on the compute thread, so the
wait for that copy never blocks the event loop.

The cache is transformers' ``DynamicCache``, grown and cut per row as requests join and leave.
transformers' ``StaticCache`` (preallocated, for ``torch.compile``'d decoding) does not fit this: its rows
share one write position and a fixed batch size, while here rows join mid-decode, are left-padded to
each other and trimmed as they leave.
"""

from __future__ import annotations

from typing import Any

import torch
from transformers import DynamicCache


class CausalBatch:
    """A decode batch over a transformers causal language model.

    Args:
        model: a ``*ForCausalLM`` in eval mode, its weights on ``device``.
        device: where the batch's tensors live: ``cpu``, ``cuda`` or ``cuda:N``.
    """

    penalize_prompt = True
    engine = "transformers"
    resumable = True

    def __init__(self, model: Any, *, device: str = "cpu") -> None:
        self._model = model
        self._device = torch.device(device)
        self._cache: Any = None
        self._mask = torch.zeros((0, 0), dtype=torch.long, device=self._device)
        self._positions = torch.zeros(0, dtype=torch.long, device=self._device)

    @torch.inference_mode()
    def prefill(self, prompts: list[list[int]]) -> torch.Tensor:
        width = max(len(prompt) for prompt in prompts)
        ids = self._tensor([[0] * (width - len(p)) + p for p in prompts])
        mask = self._tensor([[0] * (width - len(p)) + [1] * len(p) for p in prompts])
        cache = DynamicCache(config=self._model.config)
        out = self._model(
            input_ids=ids,
            attention_mask=mask,
            position_ids=(mask.cumsum(dim=1) - 1).clamp(min=0),
            past_key_values=cache,
            use_cache=True,
            logits_to_keep=1,
        )
        self._join(cache, mask)
        return _on_host(out.logits[:, -1])

    @torch.inference_mode()
    def step(self, tokens: list[int]) -> torch.Tensor:
        ids = self._tensor(tokens)[:, None]
        self._mask = torch.cat([self._mask, self._mask.new_ones((len(tokens), 1))], dim=1)
        out = self._model(
            input_ids=ids,
            attention_mask=self._mask,
            position_ids=self._positions[:, None],
            past_key_values=self._cache,
            use_cache=True,
        )
        self._positions += 1
        return _on_host(out.logits[:, -1])

    @torch.inference_mode()
    def retain(self, rows: list[int]) -> None:
        if not rows:
            self._cache, self._mask = None, self._mask[:0, :0]
            self._positions = self._positions[:0]
            return
        index = self._tensor(rows)
        self._mask, self._positions = self._mask[index], self._positions[index]
        unused = int((self._mask.sum(dim=0) == 0).long().cumprod(dim=0).sum())
        self._mask = self._mask[:, unused:]
        for layer in self._cache.layers:
            layer.keys = layer.keys[index, :, unused:]
            layer.values = layer.values[index, :, unused:]

    def _tensor(self, values: list[int] | list[list[int]]) -> torch.Tensor:
        return torch.tensor(values, dtype=torch.long, device=self._device)

    def _join(self, cache: Any, mask: torch.Tensor) -> None:
        """Stack the new rows' ``cache`` (left-padded as ``mask`` says) under the batch's rows."""
        lengths = mask.sum(dim=1)
        if self._cache is None:
            self._cache, self._mask, self._positions = cache, mask, lengths
            return
        width = max(self._mask.shape[1], mask.shape[1])
        for mine, theirs in zip(self._cache.layers, cache.layers, strict=True):
            mine.keys = torch.cat([_left_pad(mine.keys, width), _left_pad(theirs.keys, width)])
            mine.values = torch.cat([_left_pad(mine.values, width), _left_pad(theirs.values, width)])
        self._mask = torch.cat([_left_pad_mask(self._mask, width), _left_pad_mask(mask, width)])
        self._positions = torch.cat([self._positions, lengths])


def _on_host(logits: torch.Tensor) -> torch.Tensor:
    """``[rows, vocab]`` logits as float32 on the CPU (no copy when they are there already)."""
    return logits.float().cpu()


def _left_pad(states: torch.Tensor, width: int) -> torch.Tensor:
    """``[batch, heads, seq, dim]`` states padded with zeros on the left to ``width`` positions."""
    missing = width - states.shape[2]
    if missing == 0:
        return states
    return torch.nn.functional.pad(states, (0, 0, missing, 0))


def _left_pad_mask(mask: torch.Tensor, width: int) -> torch.Tensor:
    return torch.nn.functional.pad(mask, (width - mask.shape[1], 0))

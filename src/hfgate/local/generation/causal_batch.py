"""Continuous batching for decoder-only models: requests join and leave one shared KV cache.

Rows are left-padded to a common length. Requests joining together are prefilled in one forward pass
(left-padded, each with its own positions), then their cache is padded and stacked onto the batch's;
a leaving request's row is dropped, and padding columns no row
needs any more are trimmed. Each row keeps its own position ids, so padding never shifts its positions
and its output is the one it would get alone.
"""

from __future__ import annotations

from typing import Any

import torch
from transformers import DynamicCache


class CausalBatch:
    """A decode batch over a transformers causal language model.

    Args:
        model: a ``*ForCausalLM`` in eval mode.
    """

    penalize_prompt = True
    engine = "transformers"
    resumable = True

    def __init__(self, model: Any) -> None:
        self._model = model
        self._cache: Any = None
        self._mask = torch.zeros((0, 0), dtype=torch.long)
        self._positions = torch.zeros(0, dtype=torch.long)

    @torch.inference_mode()
    def prefill(self, prompts: list[list[int]]) -> torch.Tensor:
        width = max(len(prompt) for prompt in prompts)
        ids = torch.tensor([[0] * (width - len(p)) + p for p in prompts], dtype=torch.long)
        mask = torch.tensor([[0] * (width - len(p)) + [1] * len(p) for p in prompts], dtype=torch.long)
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
        logits: torch.Tensor = out.logits[:, -1]
        return logits

    @torch.inference_mode()
    def step(self, tokens: list[int]) -> torch.Tensor:
        ids = torch.tensor(tokens, dtype=torch.long)[:, None]
        self._mask = torch.cat([self._mask, torch.ones((len(tokens), 1), dtype=torch.long)], dim=1)
        out = self._model(
            input_ids=ids,
            attention_mask=self._mask,
            position_ids=self._positions[:, None],
            past_key_values=self._cache,
            use_cache=True,
        )
        self._positions += 1
        logits: torch.Tensor = out.logits[:, -1]
        return logits

    @torch.inference_mode()
    def retain(self, rows: list[int]) -> None:
        if not rows:
            self._cache, self._mask = None, self._mask[:0, :0]
            self._positions = self._positions[:0]
            return
        index = torch.tensor(rows, dtype=torch.long)
        self._mask, self._positions = self._mask[index], self._positions[index]
        unused = int((self._mask.sum(dim=0) == 0).long().cumprod(dim=0).sum())
        self._mask = self._mask[:, unused:]
        for layer in self._cache.layers:
            layer.keys = layer.keys[index, :, unused:]
            layer.values = layer.values[index, :, unused:]

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


def _left_pad(states: torch.Tensor, width: int) -> torch.Tensor:
    """``[batch, heads, seq, dim]`` states padded with zeros on the left to ``width`` positions."""
    missing = width - states.shape[2]
    if missing == 0:
        return states
    return torch.nn.functional.pad(states, (0, 0, missing, 0))


def _left_pad_mask(mask: torch.Tensor, width: int) -> torch.Tensor:
    return torch.nn.functional.pad(mask, (width - mask.shape[1], 0))

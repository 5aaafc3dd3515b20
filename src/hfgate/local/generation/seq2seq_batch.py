"""Decoding for encoder-decoder models (text2text-generation), one row at a time.

Each request keeps its encoder output and its own decoder cache; a step advances every row in turn.
Batching rows together would pay off only for large seq2seq models, which this service does not
serve by default.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import torch
from transformers import DynamicCache, EncoderDecoderCache


@dataclass(slots=True)
class _Row:
    encoder_outputs: Any
    cache: Any


class Seq2SeqBatch:
    """A decode batch over a transformers ``*ForConditionalGeneration`` encoder-decoder model.

    Args:
        model: the model, in eval mode, its weights on ``device``.
        device: where its inputs and caches live (``cpu``, ``cuda``, ``cuda:N``); each row's next-token
            logits come back to the host in float32.
    """

    penalize_prompt = False
    engine = "transformers"
    resumable = False

    def __init__(self, model: Any, *, device: str = "cpu") -> None:
        self._model = model
        self._device = torch.device(device)
        self._rows: list[_Row] = []
        config = model.generation_config
        start = config.decoder_start_token_id
        self._start = int(start if start is not None else model.config.decoder_start_token_id)

    @torch.inference_mode()
    def prefill(self, prompts: list[list[int]]) -> torch.Tensor:
        return torch.stack([self._prefill_one(prompt) for prompt in prompts])

    def _prefill_one(self, prompt_ids: list[int]) -> torch.Tensor:
        ids = torch.tensor([prompt_ids], dtype=torch.long, device=self._device)
        encoded = self._model.get_encoder()(input_ids=ids)
        row = _Row(encoder_outputs=encoded, cache=EncoderDecoderCache(DynamicCache(), DynamicCache()))
        self._rows.append(row)
        return self._decode(row, self._start)

    @torch.inference_mode()
    def step(self, tokens: list[int]) -> torch.Tensor:
        return torch.stack([self._decode(row, token) for row, token in zip(self._rows, tokens, strict=True)])

    def retain(self, rows: list[int]) -> None:
        self._rows = [self._rows[i] for i in rows]

    def _decode(self, row: _Row, token: int) -> torch.Tensor:
        out = self._model(
            encoder_outputs=row.encoder_outputs,
            decoder_input_ids=torch.tensor([[token]], dtype=torch.long, device=self._device),
            past_key_values=row.cache,
            use_cache=True,
        )
        logits: torch.Tensor = out.logits[0, -1].float().cpu()
        return logits

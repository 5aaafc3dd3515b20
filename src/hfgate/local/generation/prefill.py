"""The prompt's tokens with their log probabilities (TGI's ``decoder_input_details``: ``prefill``).

One extra forward pass over the prompt, only when asked for: each token's log probability given the
tokens before it (the first has none). Models without a transformers causal LM behind them (llama.cpp,
encoder-decoders, whose decoder input is only the start token) list the tokens with ``logprob`` null.
"""

from __future__ import annotations

from typing import Any

from hfgate.local.generation.loading import LanguageModel
from hfgate.tasks import InputToken


def prompt_tokens(lm: LanguageModel, prompt_ids: list[int]) -> tuple[InputToken, ...]:
    """``prompt_ids`` as TGI's prefill; run on the compute thread (it runs the model)."""
    logprobs = _logprobs(lm.model, prompt_ids) if _is_causal_transformers(lm) else [None] * len(prompt_ids)
    decode = lm.tokenizer.decode
    return tuple(
        InputToken(id=token, text=decode([token]), logprob=lp) for token, lp in zip(prompt_ids, logprobs, strict=True)
    )


def _is_causal_transformers(lm: LanguageModel) -> bool:
    return lm.task == "text-generation" and callable(getattr(lm.model, "forward", None))


def _logprobs(model: Any, prompt_ids: list[int]) -> list[float | None]:
    import torch

    with torch.inference_mode():
        ids = torch.tensor([prompt_ids], dtype=torch.long, device=model.device)
        scores = torch.log_softmax(model(input_ids=ids).logits[0, :-1].float(), dim=-1)
        picked = scores.gather(1, ids[0, 1:, None])[:, 0].tolist()
    return [None, *picked]

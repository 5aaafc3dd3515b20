"""``summarization`` and ``translation`` by an encoder-decoder model's ``generate``, with the model's own
generation config and the request's ``generate_parameters`` over it (transformers 5 dropped both
pipelines). A many-language model (M2M100, NLLB, mBART) is told the languages: the tokenizer's
``src_lang``, and the target's token forced first (``forced_bos_token_id``)."""

from __future__ import annotations

import inspect
from pathlib import Path
from typing import Any

from hfgate.local.lazy_imports import import_torch_stack
from hfgate.local.pipelines.base import PipelineRunner, refuse
from hfgate.pipelines import PipelineAnswer
from hfgate.pipelines.text2text import Rewrite
from hfgate.pipelines.translation import Translation
from hfgate.tasks import Usage


class Rewriter(PipelineRunner[Rewrite]):
    """What writes a summary or a translation; ``key`` names the answer's field."""

    key = "summary_text"

    def __init__(self, path: Path, **kwargs: Any) -> None:
        super().__init__(path, **kwargs)
        (self._torch,) = import_torch_stack()
        model = self.load_head("AutoModelForSeq2SeqLM")
        self.prefix = str(getattr(model.config, "prefix", None) or "")
        self._types = "token_type_ids" in inspect.signature(model.forward).parameters

    async def run(self, request: Rewrite) -> PipelineAnswer:
        extra = self.languages(request) if isinstance(request, Translation) else {}
        texts, written, read = await self._compute.run(self.rewrite, request, extra)
        body = [{self.key: text} for text in texts]
        return PipelineAnswer(body=body, usage=Usage(prompt_tokens=read, completion_tokens=written))

    def rewrite(self, request: Rewrite, extra: dict[str, Any]) -> tuple[list[str], int, int]:
        """The texts written, the tokens written and the tokens read (on the compute thread)."""
        generate = within_positions(dict(request.generate), self._model.config)
        seed = generate.pop("seed", None)
        if seed is not None:
            self._torch.manual_seed(seed)
        texts = [self.prefix + t for t in request.texts]
        truncate = request.truncation not in (None, "do_not_truncate")
        if not truncate:
            self._refuse_past_window(texts, listed=request.listed)
        inputs = self.tokenizer(
            texts,
            padding=True,
            truncation=truncate or None,
            max_length=self.window if truncate else None,
            return_tensors="pt",
            return_token_type_ids=self._types,
        )
        inputs = inputs.to(self._model.device)
        with self._torch.inference_mode():
            out = self._model.generate(**inputs, **generate, **extra.get("generate", {}))
        written = self.tokenizer.batch_decode(
            out, skip_special_tokens=True, clean_up_tokenization_spaces=request.clean_up_tokenization_spaces
        )
        pad = self.tokenizer.pad_token_id
        count = int((out != pad).sum()) if pad is not None else int(out.numel())
        return written, count, int(inputs["attention_mask"].sum())

    @property
    def window(self) -> int:
        """The most tokens the encoder reads: its tokenizer's limit, within its position embeddings."""
        limit = int(min(self.tokenizer.model_max_length, 1_000_000))
        positions = getattr(self._model.config, "max_position_embeddings", None)
        return min(limit, positions) if isinstance(positions, int) and positions > 0 else limit

    def _refuse_past_window(self, texts: list[str], *, listed: bool) -> None:
        """Nothing when every text fits the encoder's window.

        Raises:
            BadRequestError: one does not; the message names it, its tokens and the window, and how to cut it.
        """
        for i, ids in enumerate(self.tokenizer(texts)["input_ids"]):
            if len(ids) > self.window:
                field = f"inputs[{i}]" if listed else "inputs"
                raise refuse(
                    field,
                    f"`{field}` takes {len(ids)} tokens, more than [{self.name}] reads at once ({self.window}); send "
                    'a shorter text, or set `parameters.truncation` to "longest_first" to keep its first '
                    f"{self.window} tokens",
                )

    def languages(self, request: Translation) -> dict[str, Any]:
        """How the model is told ``src_lang`` and ``tgt_lang``: nothing when neither is given."""
        if request.src_lang is None or request.tgt_lang is None:
            return {}
        codes = self._codes()
        if not codes:
            raise refuse(
                "parameters.src_lang",
                f"`parameters.src_lang`: [{self.name}] translates one language pair; omit src_lang and "
                "tgt_lang, or give a many-language model (M2M100, NLLB, mBART)",
            )
        for field, code in (("src_lang", request.src_lang), ("tgt_lang", request.tgt_lang)):
            if code not in codes:
                shown = ", ".join(sorted(codes)[:30])
                raise refuse(
                    f"parameters.{field}",
                    f"`parameters.{field}` [{code}] is not a language of [{self.name}]; "
                    f"its codes: {shown}{', …' if len(codes) > 30 else ''}",
                )
        self.tokenizer.src_lang = request.src_lang
        target = codes[request.tgt_lang]
        return {"generate": {"forced_bos_token_id": target}}

    def _codes(self) -> dict[str, int]:
        """The model's language codes and their tokens' ids (``en`` → ``__en__`` in M2M100; NLLB's and
        mBART's codes are the tokens themselves)."""
        lang_ids = getattr(self.tokenizer, "lang_code_to_id", None)
        if isinstance(lang_ids, dict) and lang_ids:
            return {str(k): int(v) for k, v in lang_ids.items()}
        to_token = getattr(self.tokenizer, "lang_code_to_token", None)
        if isinstance(to_token, dict) and to_token:
            return {str(k): int(self.tokenizer.convert_tokens_to_ids(v)) for k, v in to_token.items()}
        special = getattr(self.tokenizer, "additional_special_tokens", None) or []
        found = {t: int(self.tokenizer.convert_tokens_to_ids(t)) for t in special if _looks_like_code(t)}
        return found


LENGTHS = ("max_new_tokens", "max_length", "min_new_tokens", "min_length")


def within_positions(generate: dict[str, Any], config: Any) -> dict[str, Any]:
    """``generate`` with its lengths cut to the decoder's positions (``max_target_positions`` for Whisper,
    ``max_position_embeddings`` otherwise): a longer output could not be written, as a chat's ``max_tokens`` is
    cut to its context."""
    positions = getattr(config, "max_target_positions", None) or getattr(config, "max_position_embeddings", None)
    if not isinstance(positions, int) or positions <= 0:
        return generate
    return {k: min(v, positions - 1) if k in LENGTHS and isinstance(v, int) else v for k, v in generate.items()}


def _looks_like_code(token: str) -> bool:
    """NLLB's ``eng_Latn`` and mBART's ``en_XX``: letters, one underscore, letters."""
    head, _, tail = token.partition("_")
    return bool(head) and bool(tail) and head.isalpha() and tail.isalpha() and len(token) <= 9


class Summarizer(Rewriter):
    key = "summary_text"


class Translator(Rewriter):
    key = "translation_text"

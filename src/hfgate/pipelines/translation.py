"""``translation``: a text in another language, by an encoder-decoder model: a language pair (Marian,
``opus-mt-en-de``) or a many-language model told ``src_lang`` and ``tgt_lang`` (M2M100, NLLB, mBART, in
the model's own codes: ``en``/``fr``, ``eng_Latn``/``fra_Latn``).

Answer: ``[{"translation_text"}]``, one per text.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from hfgate.pipelines.base import Pipeline
from hfgate.pipelines.fields import Parameters
from hfgate.pipelines.text2text import REWRITE_PARAMETERS, Rewrite, rewrite_fields, rewrite_payload
from hfgate.tasks import TaskType


@dataclass(frozen=True, slots=True, kw_only=True)
class Translation(Rewrite):
    src_lang: str | None = None
    tgt_lang: str | None = None


class TranslationPipeline(Pipeline[Translation]):
    task = TaskType.TRANSLATION
    label = "Translation"
    batches = False

    def request(self, inputs: Any, parameters: Mapping[str, Any]) -> Translation:
        p = Parameters(parameters, accepted=("src_lang", "tgt_lang", *REWRITE_PARAMETERS))
        src, tgt = p.string("src_lang"), p.string("tgt_lang")
        if (src is None) != (tgt is None):
            missing = "tgt_lang" if tgt is None else "src_lang"
            raise Parameters.invalid(missing, "is required with the other: give both src_lang and tgt_lang, or neither")
        return Translation(**rewrite_fields(inputs, p), src_lang=src, tgt_lang=tgt)

    def payload(self, request: Translation) -> dict[str, Any]:
        return rewrite_payload(request, src_lang=request.src_lang, tgt_lang=request.tgt_lang)


PIPELINE = TranslationPipeline()

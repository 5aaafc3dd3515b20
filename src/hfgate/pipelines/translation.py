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
from hfgate.pipelines.fields import Parameters, filtered, texts
from hfgate.pipelines.text2text import TRUNCATIONS, Rewrite, generate_parameters
from hfgate.tasks import TaskType


@dataclass(frozen=True, slots=True, kw_only=True)
class Translation(Rewrite):
    src_lang: str | None = None
    tgt_lang: str | None = None


class TranslationPipeline(Pipeline[Translation]):
    task = TaskType.TRANSLATION
    label = "Translation"
    batches = False
    key = "translation_text"

    def request(self, inputs: Any, parameters: Mapping[str, Any]) -> Translation:
        accepted = ("src_lang", "tgt_lang", "generate_parameters", "clean_up_tokenization_spaces", "truncation")
        p = Parameters(parameters, accepted=accepted)
        read, listed = texts(inputs)
        src, tgt = p.string("src_lang"), p.string("tgt_lang")
        if (src is None) != (tgt is None):
            missing = "tgt_lang" if tgt is None else "src_lang"
            raise Parameters.invalid(missing, "is required with the other: give both src_lang and tgt_lang, or neither")
        return Translation(
            texts=read,
            listed=listed,
            generate=generate_parameters(p),
            clean_up_tokenization_spaces=bool(p.flag("clean_up_tokenization_spaces")),
            truncation=p.choice("truncation", TRUNCATIONS),
            src_lang=src,
            tgt_lang=tgt,
        )

    def payload(self, request: Translation) -> dict[str, Any]:
        inputs = list(request.texts) if request.listed else request.texts[0]
        parameters = filtered(
            {
                "src_lang": request.src_lang,
                "tgt_lang": request.tgt_lang,
                "generate_parameters": dict(request.generate) or None,
                "truncation": request.truncation,
            }
        )
        return {"inputs": inputs, "parameters": parameters}


PIPELINE = TranslationPipeline()

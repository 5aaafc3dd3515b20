"""``summarization``: a shorter text, by an encoder-decoder model (BART, T5, Pegasus…).

Answer: ``[{"summary_text"}]``, one per text. transformers 5 dropped the pipeline; hfgate generates with the
model's own generation config (``local/pipelines/text2text.py``).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from hfgate.pipelines.base import Pipeline
from hfgate.pipelines.fields import Parameters, filtered, texts
from hfgate.pipelines.text2text import TRUNCATIONS, Rewrite, generate_parameters
from hfgate.tasks import TaskType


class SummarizationPipeline(Pipeline[Rewrite]):
    task = TaskType.SUMMARIZATION
    label = "Summarization"
    batches = False
    key = "summary_text"

    def request(self, inputs: Any, parameters: Mapping[str, Any]) -> Rewrite:
        p = Parameters(parameters, accepted=("generate_parameters", "clean_up_tokenization_spaces", "truncation"))
        read, listed = texts(inputs)
        return Rewrite(
            texts=read,
            listed=listed,
            generate=generate_parameters(p),
            clean_up_tokenization_spaces=bool(p.flag("clean_up_tokenization_spaces")),
            truncation=p.choice("truncation", TRUNCATIONS),
        )

    def payload(self, request: Rewrite) -> dict[str, Any]:
        inputs = list(request.texts) if request.listed else request.texts[0]
        parameters = filtered({"generate_parameters": dict(request.generate) or None, "truncation": request.truncation})
        return {"inputs": inputs, "parameters": parameters}


PIPELINE = SummarizationPipeline()

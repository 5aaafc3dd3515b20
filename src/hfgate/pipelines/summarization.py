"""``summarization``: a shorter text, by an encoder-decoder model (BART, T5, Pegasus…).

Answer: ``[{"summary_text"}]``, one per text. transformers 5 dropped the pipeline; hfgate generates with the
model's own generation config (``local/pipelines/text2text.py``).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from hfgate.pipelines.base import Pipeline
from hfgate.pipelines.fields import Parameters
from hfgate.pipelines.text2text import REWRITE_PARAMETERS, Rewrite, rewrite_fields, rewrite_payload
from hfgate.tasks import TaskType


class SummarizationPipeline(Pipeline[Rewrite]):
    task = TaskType.SUMMARIZATION
    label = "Summarization"
    batches = False

    def request(self, inputs: Any, parameters: Mapping[str, Any]) -> Rewrite:
        return Rewrite(**rewrite_fields(inputs, Parameters(parameters, accepted=REWRITE_PARAMETERS)))

    def payload(self, request: Rewrite) -> dict[str, Any]:
        return rewrite_payload(request)


PIPELINE = SummarizationPipeline()

"""``question-answering``: the span of a context that answers a question (extractive QA: SQuAD-style heads).

Answer: ``{"answer", "score", "start", "end"}`` (offsets into the context), or a list of them, best first,
when ``top_k`` > 1. transformers 5 dropped this pipeline; hfgate decodes the spans from the model's head
itself (``local/pipelines/question_answering.py``), as transformers 4's pipeline did.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from hfgate.pipelines.base import Pipeline, PipelineRequest
from hfgate.pipelines.fields import Parameters, filtered, obj, text
from hfgate.tasks import TaskType


@dataclass(frozen=True, slots=True, kw_only=True)
class QuestionAnswering(PipelineRequest):
    question: str
    context: str
    top_k: int = 1
    doc_stride: int = 128
    max_answer_len: int = 15
    max_seq_len: int | None = None
    max_question_len: int = 64
    handle_impossible_answer: bool = False
    align_to_words: bool = True


_ACCEPTED = (
    "top_k",
    "doc_stride",
    "max_answer_len",
    "max_seq_len",
    "max_question_len",
    "handle_impossible_answer",
    "align_to_words",
)


class QuestionAnsweringPipeline(Pipeline[QuestionAnswering]):
    task = TaskType.QUESTION_ANSWERING
    label = "Question answering"

    def request(self, inputs: Any, parameters: Mapping[str, Any]) -> QuestionAnswering:
        p = Parameters(parameters, accepted=_ACCEPTED)
        given = obj(inputs, keys=("question", "context"))
        return QuestionAnswering(
            question=text(given["question"], name="inputs.question"),
            context=text(given["context"], name="inputs.context"),
            top_k=p.integer("top_k", maximum=100) or 1,
            doc_stride=p.integer("doc_stride") or 128,
            max_answer_len=p.integer("max_answer_len") or 15,
            max_seq_len=p.integer("max_seq_len", minimum=16),
            max_question_len=p.integer("max_question_len") or 64,
            handle_impossible_answer=bool(p.flag("handle_impossible_answer")),
            align_to_words=p.flag("align_to_words") is not False,
        )

    def payload(self, request: QuestionAnswering) -> dict[str, Any]:
        parameters = filtered({name: getattr(request, name) for name in _ACCEPTED})
        return {"inputs": {"question": request.question, "context": request.context}, "parameters": parameters}

    def probe(self) -> tuple[Any, dict[str, Any]]:
        return ({"question": "What is the capital of France?", "context": "Paris is the capital of France."}, {})


PIPELINE = QuestionAnsweringPipeline()

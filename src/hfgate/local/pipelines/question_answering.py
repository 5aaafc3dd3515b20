"""``question-answering`` from a model's span head (``*ForQuestionAnswering``), decoded here: transformers 5
dropped the pipeline that did it.

The decoding is transformers 4's ``QuestionAnsweringPipeline``'s, step for step: the question and context
are cut into overlapping windows of ``max_seq_len`` tokens (``doc_stride`` apart); in each, the tokens
outside the context are masked, start and end logits become probabilities (softmax), and a span's score
is ``p(start) * p(end)`` over spans at most ``max_answer_len`` tokens long, the first token's span (the
empty answer's) left out; each window offers its best ``2 * top_k + 10`` spans (``top_k`` without
``align_to_words``), widened to whole words; spans of the same text (any case) are one answer, their scores
added, kept where first found; the best ``top_k`` answers win. The empty answer (the first token's score,
least over the windows) competes when ``handle_impossible_answer`` asks for it.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from hfgate.local.lazy_imports import import_torch_stack
from hfgate.local.pipelines.base import PipelineRunner, refuse
from hfgate.pipelines import PipelineAnswer
from hfgate.pipelines.question_answering import QuestionAnswering
from hfgate.tasks import Usage

if TYPE_CHECKING:
    import numpy as np
    from numpy.typing import NDArray


class QuestionAnswerer(PipelineRunner[QuestionAnswering]):
    def __init__(self, path: Path, **kwargs: Any) -> None:
        super().__init__(path, **kwargs)
        (self._torch,) = import_torch_stack()
        self.load_head("AutoModelForQuestionAnswering")

    async def run(self, request: QuestionAnswering) -> PipelineAnswer:
        answers, tokens = await self._compute.run(self.answer, request)
        return PipelineAnswer(body=answers[0] if len(answers) == 1 else answers, usage=Usage(prompt_tokens=tokens))

    def answer(self, request: QuestionAnswering) -> tuple[list[dict[str, Any]], int]:
        """The best answers, and the tokens read (on the compute thread)."""
        import numpy as np

        max_len = request.max_seq_len or min(self.tokenizer.model_max_length, 384)
        stride = min(request.doc_stride, max_len // 2)
        features = self._features(request, max_len=max_len, stride=stride)
        inputs = {
            k: self._torch.tensor(v).to(self._model.device)
            for k, v in features.items()
            if k in ("input_ids", "attention_mask", "token_type_ids")
        }
        with self._torch.inference_mode():
            out = self._model(**inputs)
        starts, ends = out.start_logits.float().cpu().numpy(), out.end_logits.float().cpu().numpy()
        answers: list[dict[str, Any]] = []
        null = 1e6
        for i in range(len(features["input_ids"])):
            desired = self._desired(features, i)
            start, end = _probabilities(starts[i], desired), _probabilities(ends[i], desired)
            null = min(null, float(start[0] * end[0]))
            start[0] = end[0] = 0.0
            for found in self._spans(features, i, start, end, desired=desired, request=request):
                _merge(answers, found)
        if request.handle_impossible_answer:
            answers.append({"score": null, "start": 0, "end": 0, "answer": ""})
        best = sorted(answers, key=lambda a: a["score"], reverse=True)[: request.top_k]
        return best, int(np.sum(features["attention_mask"]))

    def _features(self, request: QuestionAnswering, *, max_len: int, stride: int) -> Any:
        if not self.tokenizer.is_fast:
            raise refuse(
                "service_settings.model",
                f"[{self.name}] has no fast tokenizer (tokenizer.json), which question answering needs for its offsets",
            )
        right = self.tokenizer.padding_side == "right"
        return self.tokenizer(
            request.question if right else request.context,
            request.context if right else request.question,
            padding="longest",
            truncation="only_second" if right else "only_first",
            max_length=max_len,
            stride=stride,
            return_overflowing_tokens=True,
            return_offsets_mapping=True,
            return_token_type_ids="token_type_ids" in self.tokenizer.model_input_names,
        )

    def _desired(self, features: Any, i: int) -> NDArray[np.bool_]:
        """The tokens an answer may span: the context's, and the first token (the empty answer's)."""
        import numpy as np

        context = 1 if self.tokenizer.padding_side == "right" else 0
        desired = np.array([s == context for s in features.sequence_ids(i)], dtype=bool)
        cls = self.tokenizer.cls_token_id
        if cls is not None:
            desired |= np.array(features["input_ids"][i]) == cls
        found: NDArray[np.bool_] = desired & (np.array(features["attention_mask"][i]) == 1)
        return found

    def _spans(
        self, features: Any, i: int, start: Any, end: Any, *, desired: Any, request: QuestionAnswering
    ) -> list[dict[str, Any]]:
        import numpy as np

        outer = np.tril(np.triu(np.outer(start, end)), request.max_answer_len - 1)
        flat = outer.flatten()
        offered = request.top_k * 2 + 10 if request.align_to_words else request.top_k
        order = [int(np.argmax(flat))] if offered == 1 else np.argsort(-flat, kind="stable")[:offered]
        allowed = set(np.nonzero(desired)[0].tolist())
        found = []
        for index in order:
            s, e = divmod(int(index), outer.shape[1])
            if s in allowed and e in allowed:
                first, last = self._chars(features, i, s, e, align=request.align_to_words)
                found.append(
                    {"score": float(flat[index]), "start": first, "end": last, "answer": request.context[first:last]}
                )
        return found

    def _chars(self, features: Any, i: int, s: int, e: int, *, align: bool) -> tuple[int, int]:
        encoding = features.encodings[i]
        context = 1 if self.tokenizer.padding_side == "right" else 0
        if align:
            try:
                first = encoding.word_to_chars(encoding.token_to_word(s), sequence_index=context)[0]
                last = encoding.word_to_chars(encoding.token_to_word(e), sequence_index=context)[1]
                return int(first), int(last)
            except Exception:  # a token with no word (a special one): its own offsets, as transformers 4 did
                pass
        offsets = features["offset_mapping"][i]
        return int(offsets[s][0]), int(offsets[e][1])


def _merge(answers: list[dict[str, Any]], found: dict[str, Any]) -> None:
    """``found`` added to ``answers``: its score to an answer of the same text (any case), else as a new one."""
    same = next((a for a in answers if a["answer"].lower() == found["answer"].lower()), None)
    if same is None:
        answers.append(found)
    else:
        same["score"] += found["score"]


def _probabilities(logits: Any, desired: Any) -> Any:
    import numpy as np

    masked = np.where(desired, logits, -10000.0)
    exp = np.exp(masked - masked.max())
    return exp / exp.sum()

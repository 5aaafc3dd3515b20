"""Question answering, summarization and translation as transformers 4's own pipelines answer them, on the same
weights: hfgate serves these tasks from the model heads itself since transformers 5 dropped the pipelines.
transformers 4.57 runs in a directory of its own (``tests/support/apart.py``'s ``transformers4`` set)."""

from __future__ import annotations

import json

import pytest

from tests.pipelines.conftest import client
from tests.pipelines.tiny_models import TinyModels
from tests.support.apart import run_client

CONTEXT = (
    "Paris is the capital and most populous city of France. It lies on the Seine, in the north of the country. "
    "Marie Curie lived and worked in Paris, where she studied radioactivity with Pierre Curie. "
) * 4  # past the model's 128 tokens: several overlapping windows
QUESTION = "Where did Marie Curie work?"


def _reference(calls: list[dict]) -> list:
    return run_client("transformers4", "transformers4_pipelines.py", json.dumps(calls))


def _same_answer(ours: dict, theirs: dict) -> None:
    assert (ours["answer"], ours["start"], ours["end"]) == (theirs["answer"], theirs["start"], theirs["end"])
    assert ours["score"] == pytest.approx(theirs["score"], abs=1e-4)


def test_question_answering_equals_transformers_4s_pipeline(served: str, tiny: TinyModels) -> None:
    asks = [
        {},
        {"top_k": 3},
        {"handle_impossible_answer": True},
        {"max_answer_len": 3, "doc_stride": 32},
        {"align_to_words": False},
    ]
    calls = [{"task": "question-answering", "model": str(tiny.qa), "inputs": {"question": QUESTION, "context": CONTEXT},
              "kwargs": ask} for ask in asks]  # fmt: skip
    for ask, theirs in zip(asks, _reference(calls), strict=True):
        ours = client(served, "qa").question_answering(question=QUESTION, context=CONTEXT, **ask)
        if isinstance(theirs, list):
            assert isinstance(ours, list)
            assert len(ours) == len(theirs)
            for one, other in zip(ours, theirs, strict=True):
                _same_answer(one.__dict__, other)
        else:
            _same_answer(ours.__dict__, theirs)


def test_summarization_and_translation_equal_transformers_4s_pipelines(served: str, tiny: TinyModels) -> None:
    text = "Paris is the capital of France. Marie Curie worked there."
    # transformers 4 reads transformers 5's generation_config.json without its max_new_tokens: both are told it
    calls = [
        {"task": "summarization", "model": str(tiny.seq2seq), "inputs": text, "kwargs": {"max_new_tokens": 8}},
        {"task": "translation", "model": str(tiny.translator), "inputs": text, "kwargs": {"max_new_tokens": 8}},
    ]
    summary, translated = _reference(calls)
    told = {"max_new_tokens": 8}
    assert (
        client(served, "sum").summarization(text, generate_parameters=told).summary_text == summary[0]["summary_text"]
    )
    ours = client(served, "mt").translation(text, generate_parameters=told).translation_text
    assert ours == translated[0]["translation_text"]

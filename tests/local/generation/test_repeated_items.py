"""A required call array under llguidance, on a byte-level BPE tokenizer (SmolLM2's kind, trained here on
the calls): once a call repeats an earlier one, the next token may only close the array; a new call may
still follow distinct ones, and without parallel calls the grammar's one item is all there is."""

from __future__ import annotations

from typing import Any

import pytest
import torch

from hfgate.chat.tools import TOOL_CHOICE_REQUIRED, Tool
from hfgate.local.generation.guided import Constraint, GrammarCompiler
from hfgate.local.generation.tool_grammar import call_grammar
from tests.local.generation.tiny_models import byte_level_tokenizer

NO_ARGUMENTS = {"type": "object", "properties": {}}
TOOLS = (Tool(name="get_time", parameters=NO_ARGUMENTS), Tool(name="get_date", parameters=NO_ARGUMENTS))
TIME, DATE = '{"name": "get_time", "arguments": {}}', '{"name": "get_date", "arguments": {}}'


@pytest.fixture(scope="module")
def tokenizer() -> Any:
    return byte_level_tokenizer(f"[{TIME}, {DATE}]")


def written(tokenizer: Any, text: str, *, parallel: bool | None) -> tuple[Constraint, set[str]]:
    """The constraint after ``text``, and the texts of the tokens it allows next."""
    grammar = call_grammar(TOOLS, TOOL_CHOICE_REQUIRED, parallel=parallel)
    assert grammar is not None
    constraint = GrammarCompiler(tokenizer).constraint(grammar)
    for token in tokenizer.encode(text, add_special_tokens=False):
        constraint.advance(token)
    scores = constraint.mask(torch.zeros(len(tokenizer)))
    allowed = torch.nonzero(scores > float("-inf")).flatten().tolist()
    return constraint, {tokenizer.decode([t]) for t in allowed}


def test_a_repeated_call_may_only_be_followed_by_the_end_of_the_array(tokenizer: Any) -> None:
    _, allowed = written(tokenizer, f"[{TIME}, {DATE}, {TIME}", parallel=None)
    assert allowed == {"]"}


def test_a_token_that_would_close_a_repeat_and_go_on_is_masked_out(tokenizer: Any) -> None:
    """SmolLM2 has ``},`` as one token; this vocabulary has `` {}},``: either would close the repeat and go on."""
    before_arguments = TIME[: -len(" {}}")]
    _, allowed = written(tokenizer, f"[{TIME}, {DATE}, {before_arguments}", parallel=None)
    assert " {}}," not in allowed
    assert {" {}}", " {}}]"} <= allowed
    _, first = written(tokenizer, f"[{before_arguments}", parallel=None)
    assert " {}}," in first  # not a repeat: the array may go on


def test_a_repeat_the_array_cannot_close_after_leaves_only_the_end_token(tokenizer: Any) -> None:
    constraint, allowed = written(tokenizer, f"[{TIME}, {DATE}, {TIME}, ", parallel=None)
    assert allowed == {"<eos>"}
    constraint.advance(tokenizer.eos_token_id)  # not given to the grammar, which could not take it


def test_a_new_call_may_still_follow_distinct_ones(tokenizer: Any) -> None:
    _, allowed = written(tokenizer, f"[{TIME}, {DATE}", parallel=None)
    assert "]" in allowed
    assert any(text.startswith(",") for text in allowed)


def test_without_parallel_calls_the_one_call_ends_the_array(tokenizer: Any) -> None:
    _, allowed = written(tokenizer, f"[{TIME}", parallel=False)
    assert allowed == {"]"}

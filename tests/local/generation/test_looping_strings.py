"""A JSON grammar under llguidance, on a byte-level BPE tokenizer (SmolLM2's kind, trained here): a string
that repeats itself may only be closed next, a string that does not may go on, and the JSON is held to
one line with its objects closed (``compact_schema``)."""

from __future__ import annotations

import json
from typing import Any

import pytest
import torch

from hfgate.local.generation.compact_schema import ONE_LINE, compact
from hfgate.local.generation.guided import GrammarCompiler
from hfgate.local.generation.looping_strings import LoopingStrings
from hfgate.tasks import Grammar
from tests.local.generation.tiny_models import byte_level_tokenizer

JOKE = {"type": "object", "properties": {"setup": {"type": "string"}, "punchline": {"type": "string"}},
        "required": ["setup", "punchline"]}  # fmt: skip
LOOP = "a cat is a cat, "


@pytest.fixture(scope="module")
def tokenizer() -> Any:
    return byte_level_tokenizer(f'{{"setup": "{LOOP * 3}", "punchline": "meow"}}')


def allowed_after(tokenizer: Any, text: str, schema: dict[str, Any] = JOKE) -> set[str]:
    """The texts of the tokens the grammar allows after ``text``."""
    constraint = GrammarCompiler(tokenizer).constraint(Grammar(kind="json", value=json.dumps(schema)))
    for token in tokenizer.encode(text, add_special_tokens=False):
        constraint.advance(token)
    scores = constraint.mask(torch.zeros(len(tokenizer)))
    return {tokenizer.decode([t]) for t in torch.nonzero(scores > float("-inf")).flatten().tolist()}


def test_a_string_that_repeats_itself_may_only_be_closed(tokenizer: Any) -> None:
    allowed = allowed_after(tokenizer, f'{{"setup": "{LOOP * 2}')
    assert allowed
    assert all(text.startswith('"') for text in allowed), allowed


def test_a_string_that_does_not_repeat_may_go_on(tokenizer: Any) -> None:
    allowed = allowed_after(tokenizer, f'{{"setup": "{LOOP}')
    assert any(not text.startswith('"') for text in allowed)


def test_the_json_is_on_one_line_and_its_objects_closed(tokenizer: Any) -> None:
    assert allowed_after(tokenizer, "{") == {'"'}  # no whitespace, no newline
    assert allowed_after(tokenizer, '{"setup": "a", "punchline": "b"') == {"}"}  # no other property


def test_a_schema_keeps_its_own_closure_and_layout() -> None:
    assert compact(JOKE) == {**JOKE, "additionalProperties": False, "x-guidance": ONE_LINE}
    own = {"type": "object", "properties": {}, "additionalProperties": True, "x-guidance": {"lenient": True}}
    assert compact(own) == own


def test_escaped_quotes_stay_in_the_string_and_a_closed_string_starts_afresh() -> None:
    watch = LoopingStrings(decode=bytes, closers=lambda: None)
    for byte in b'{"a": "say \\"hi\\" and say \\"hi\\" and ", "b": "':
        watch.advance(byte)
    assert not watch.looping
    for byte in f"{LOOP}{LOOP}".encode():
        watch.advance(byte)
    assert watch.looping


def test_the_answer_is_complete_once_the_json_closes(tokenizer: Any) -> None:
    """The engine's sequence ends there (``finish_reason`` stop, not length, on the last allowed token)."""
    constraint = GrammarCompiler(tokenizer).constraint(Grammar(kind="json", value=json.dumps(JOKE)))
    tokens = tokenizer.encode('{"setup": "a", "punchline": "meow"}', add_special_tokens=False)
    for token in tokens[:-1]:
        constraint.advance(token)
    assert not constraint.complete()
    constraint.advance(tokens[-1])
    assert constraint.complete()

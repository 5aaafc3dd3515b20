"""A sequence held to a grammar ends as soon as the grammar is done, with the end token's reason, even
on its last allowed token (a JSON answer closed by it is complete, not cut short by the limit)."""

from __future__ import annotations

from typing import Any

from hfgate.local.generation.params import DecodingParams
from hfgate.local.generation.sequence import IncrementalDetokenizer, Sequence


class Bytes:
    """A tokenizer whose tokens are bytes."""

    def decode(self, ids: list[int], **_: Any) -> str:
        return bytes(ids).decode("utf-8", "replace")


def sequence(text: bytes, *, limit: int) -> Sequence:
    seq = Sequence(
        prompt_ids=[1],
        params=DecodingParams(max_new_tokens=limit),
        detokenizer=IncrementalDetokenizer(Bytes()),
        pick=lambda *_: 0,
        eos_ids=frozenset({0}),
        complete=lambda: bytes(seq.generated) == text,
    )
    return seq


def test_a_complete_answer_on_the_last_allowed_token_ends_as_complete() -> None:
    seq = sequence(b"{}", limit=2)
    for byte in b"{}":
        seq.accept(byte)
    assert seq.finish_reason == "eos_token"


def test_an_incomplete_answer_at_the_limit_is_cut_short() -> None:
    seq = sequence(b"{}", limit=1)
    seq.accept(ord("{"))
    assert seq.finish_reason == "length"

"""Stop strings are held back until they can no longer match, so they never reach the output."""

from __future__ import annotations

import itertools

from hypothesis import given
from hypothesis import strategies as st

from hfgate.local.generation.sequence import StopMatcher


def run(matcher: StopMatcher, pieces: list[str]) -> tuple[str, bool]:
    shown = []
    for piece in pieces:
        text, stopped = matcher.feed(piece)
        shown.append(text)
        if stopped:
            return "".join(shown), True
    return "".join(shown) + matcher.flush(), False


def test_stop_split_across_tokens_is_held_back_then_dropped() -> None:
    matcher = StopMatcher(("\nUser:",))
    assert matcher.feed("Hello\nUs") == ("Hello", False)
    assert matcher.feed("er: next") == ("", True)


def test_text_that_stops_matching_is_released() -> None:
    matcher = StopMatcher(("END",))
    assert matcher.feed("the EN") == ("the ", False)
    assert matcher.feed("ding") == ("ENding", False)


@given(
    text=st.text(alphabet="abc\n", max_size=40),
    stops=st.lists(st.text(alphabet="abc\n", min_size=1, max_size=4), max_size=3),
    cuts=st.lists(st.integers(min_value=0, max_value=40), max_size=10),
)
def test_output_is_the_text_before_the_stop_completed_first_however_it_is_split(
    text: str, stops: list[str], cuts: list[int]
) -> None:
    bounds = sorted({0, len(text), *(c for c in cuts if c <= len(text))})
    pieces = [text[a:b] for a, b in itertools.pairwise(bounds)]
    shown, stopped = run(StopMatcher(tuple(stops)), pieces)
    ends = [(text.find(s) + len(s), text.find(s)) for s in stops if s in text]
    first = min(ends)[1] if ends else None
    if first is None:
        assert (shown, stopped) == (text, False)
    else:
        assert stopped
        assert shown == text[:first]
        assert not any(s in shown for s in stops)

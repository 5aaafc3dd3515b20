"""``chunking_settings`` validation: Elasticsearch's messages, word for word, and filled-in defaults."""

from __future__ import annotations

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hfgate.chunking import DEFAULT_CHUNKING_SETTINGS, validate_chunking_settings
from hfgate.chunking.settings import SEPARATOR_GROUPS
from hfgate.errors import ChunkingSettingsError


def _reason(raw: object) -> str:
    with pytest.raises(ChunkingSettingsError) as caught:
        validate_chunking_settings(raw)  # type: ignore[arg-type]
    return caught.value.reason


@pytest.mark.parametrize("raw", [None, {}])
def test_missing_or_empty_settings_mean_sentence_250_with_overlap_1(raw: dict[str, object] | None) -> None:
    assert validate_chunking_settings(raw) == {
        "strategy": "sentence",
        "max_chunk_size": 250,
        "sentence_overlap": 1,
    }
    assert dict(DEFAULT_CHUNKING_SETTINGS) == validate_chunking_settings(raw)


@pytest.mark.parametrize(
    ("raw", "stored"),
    [
        ({"strategy": "word", "max_chunk_size": 100, "overlap": 50}, None),
        ({"strategy": "sentence", "max_chunk_size": 20}, {"sentence_overlap": 1}),
        ({"strategy": "sentence", "max_chunk_size": 20, "sentence_overlap": 0}, None),
        ({"strategy": "none"}, None),
        ({"strategy": "recursive", "max_chunk_size": 10, "separators": ["\n\n", "\n"]}, None),
    ],
)
def test_valid_settings_are_returned_with_defaults_filled_in(
    raw: dict[str, object], stored: dict[str, object] | None
) -> None:
    assert validate_chunking_settings(raw) == {**raw, **(stored or {})}


def test_separator_group_is_stored_as_its_separators() -> None:
    stored = validate_chunking_settings({"strategy": "recursive", "max_chunk_size": 10, "separator_group": "markdown"})
    assert stored["separators"] == list(SEPARATOR_GROUPS["markdown"])
    assert "separator_group" not in stored


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        ({"max_chunk_size": 10}, "Can't generate Chunker without ChunkingStrategy provided"),
        ({"strategy": "qwertyuiop"}, "Invalid chunkingStrategy qwertyuiop"),
        ({"strategy": "Word"}, "Invalid chunkingStrategy Word"),
        ({"strategy": None}, "Invalid chunkingStrategy null"),
        (
            {"strategy": "word", "overlap": 5},
            "Validation Failed: 1: [chunking_settings] does not contain the required setting [max_chunk_size];",
        ),
        (
            {"strategy": "word", "max_chunk_size": 20},
            "Validation Failed: 1: [chunking_settings] does not contain the required setting [overlap];",
        ),
        (
            {"strategy": "word", "max_chunk_size": 5, "overlap": 1},
            "Validation Failed: 1: [chunking_settings] Invalid value [5.0]. "
            "[max_chunk_size] must be greater than or equal to [10.0];",
        ),
        (
            {"strategy": "word", "max_chunk_size": 0, "overlap": 1},
            "Validation Failed: 1: [chunking_settings] Invalid value [0]. [max_chunk_size] must be a positive integer;",
        ),
        (
            {"strategy": "word", "max_chunk_size": 100, "overlap": 60},
            "Validation Failed: 1: [chunking_settings] Invalid value [60.0]. "
            "[overlap] must be less than or equal to [50.0];",
        ),
        (
            {"strategy": "word", "max_chunk_size": 100, "overlap": 0},
            "Validation Failed: 1: [chunking_settings] Invalid value [0]. [overlap] must be a positive integer;",
        ),
        (
            {"strategy": "word", "max_chunk_size": 100, "overlap": 10, "invalidKey": 1},
            "Validation Failed: 1: Word based chunking settings can not have the following settings: [invalidKey];",
        ),
        (
            {"strategy": "sentence", "max_chunk_size": 19},
            "Validation Failed: 1: [chunking_settings] Invalid value [19.0]. "
            "[max_chunk_size] must be greater than or equal to [20.0];",
        ),
        (
            {"strategy": "sentence", "max_chunk_size": 20, "sentence_overlap": 2},
            "Validation Failed: 1: sentence_overlap[2] must be either 0 or 1;",
        ),
        (
            {"strategy": "sentence", "max_chunk_size": 20, "overlap": 2},
            "Validation Failed: 1: Sentence based chunking settings can not have the following settings: [overlap];",
        ),
        (
            {"strategy": "none", "max_chunk_size": 20},
            "Validation Failed: 1: When chunking is disabled (none), settings can not have the following: "
            "[max_chunk_size];",
        ),
        (
            {"strategy": "recursive", "max_chunk_size": 20, "separator_group": "html"},
            "Validation Failed: 1: [chunking_settings] Invalid value [html] received. "
            "[separator_group] must be one of [markdown, plaintext];",
        ),
        (
            {
                "strategy": "recursive",
                "max_chunk_size": 20,
                "separator_group": "markdown",
                "separators": ["x"],
            },
            "Validation Failed: 1: Recursive chunking settings can not have both separators and separator_set;",
        ),
        (
            {"strategy": "recursive", "max_chunk_size": 20, "separators": []},
            "Validation Failed: 1: Recursive chunking settings can not have an empty list of separators;",
        ),
        (
            {"strategy": "recursive", "max_chunk_size": 20, "separators": ["x"] * 51},
            "Validation Failed: 1: separators list size [51] must not exceed [50];",
        ),
        (
            {"strategy": "recursive", "max_chunk_size": 20, "chunk": 1},
            "Validation Failed: 1: Recursive chunking settings can not have the following settings: [chunk];",
        ),
    ],
)
def test_invalid_settings_give_elasticsearchs_message(raw: dict[str, object], reason: str) -> None:
    assert _reason(raw) == reason


@pytest.mark.parametrize(
    ("value", "shown"),
    [("abc", "abc"), (3.5, "3.5"), (10.0, "10.0"), (True, "true"), (2**40, "1099511627776")],
)
def test_a_max_chunk_size_of_the_wrong_type_is_a_validation_error_not_a_type_error(value: object, shown: str) -> None:
    assert _reason({"strategy": "sentence", "max_chunk_size": value}) == (
        f"Validation Failed: 1: field [max_chunk_size] is not of the expected type. "
        f"The value [{shown}] cannot be converted to a [Integer];"
    )


def test_several_problems_are_listed_together_in_elasticsearchs_order() -> None:
    raw = {"strategy": "sentence", "max_chunk_size": 5, "sentence_overlap": 3, "foo": 1, "bar": 2}
    assert _reason(raw) == (
        "Validation Failed: 1: "
        "Sentence based chunking settings can not have the following settings: [foo, bar];"
        "2: [chunking_settings] Invalid value [5.0]. "
        "[max_chunk_size] must be greater than or equal to [20.0];"
        "3: sentence_overlap[3] must be either 0 or 1;"
    )


def test_separators_that_python_cannot_compile_are_rejected_at_validation() -> None:
    reason = _reason({"strategy": "recursive", "max_chunk_size": 20, "separators": ["("]})
    assert reason.startswith("Validation Failed: 1: [chunking_settings] Invalid value [(]. [separators] must be")


def test_settings_that_are_not_a_map_are_a_validation_error() -> None:
    assert _reason(["word"]) == (
        "field [chunking_settings] is not of the expected type. The value [[word]] cannot be converted to a [Map]"
    )


# Every message validation can give (docs/chunking.md lists them).
_CS = r"\[chunking_settings\]"
_PROBLEM = "|".join(
    [
        rf"{_CS} does not contain the required setting \[(max_chunk_size|overlap)\]",
        rf"{_CS} Invalid value \[-?\d+\]\. \[(max_chunk_size|overlap)\] must be a positive integer",
        rf"{_CS} Invalid value \[[\d.E]+\]\. "
        r"\[max_chunk_size\] must be greater than or equal to \[(10|20)\.0\]",
        rf"{_CS} Invalid value \[[\d.E]+\]\. \[overlap\] must be less than or equal to \[[\d.E]+\]",
        r"field \[\w+\] is not of the expected type\. The value \[.*\] cannot be converted to a \[\w+\]",
        r"(Word|Sentence) based chunking settings can not have the following settings: \[.*\]",
        r"Recursive chunking settings can not have the following settings: \[.*\]",
        r"When chunking is disabled \(none\), settings can not have the following: \[.*\]",
        r"sentence_overlap\[-?\d+\] must be either 0 or 1",
        rf"{_CS} Invalid value empty string\. \[separator_group\] must be a non-empty string",
        rf"{_CS} Invalid value \[.*\] received\. "
        r"\[separator_group\] must be one of \[markdown, plaintext\]",
        r"Recursive chunking settings can not have both separators and separator_set",
        r"Recursive chunking settings can not have an empty list of separators",
        r"separators list size \[\d+\] must not exceed \[50\]",
        rf"{_CS} Invalid value \[.*\]\. \[separators\] must be regular expressions: .*",
    ]
)
_REASON = re.compile(
    rf"Can't generate Chunker without ChunkingStrategy provided|Invalid chunkingStrategy .*"
    rf"|Validation Failed: (\d+: ({_PROBLEM});)+",
    re.DOTALL,
)
_KEYS = [
    "strategy",
    "max_chunk_size",
    "overlap",
    "sentence_overlap",
    "separators",
    "separator_group",
    "invalidKey",
]
_json = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=6),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=3), inner, max_size=2),
    max_leaves=5,
)
_values = st.one_of(
    st.sampled_from(["word", "sentence", "recursive", "none", "plaintext", "markdown", "(", "\n"]),
    st.integers(-5, 400),
    st.lists(st.sampled_from(["\n\n", "\n", "x", "("]), max_size=3),
    _json,
)


_maps = st.dictionaries(st.sampled_from(_KEYS) | st.text(max_size=4), _values, max_size=5)
_with_strategy = st.tuples(st.sampled_from(["word", "sentence", "recursive", "none"]), _maps).map(
    lambda pair: {**pair[1], "strategy": pair[0]}
)


@settings(max_examples=400, deadline=None)
@given(raw=_with_strategy | _maps)
def test_any_settings_map_is_either_normalised_or_rejected_with_a_documented_message(
    raw: dict[str, object],
) -> None:
    reason = None
    try:
        stored = validate_chunking_settings(raw)
    except ChunkingSettingsError as exc:
        reason = exc.reason
    if reason is None:
        assert validate_chunking_settings(stored) == stored
    else:
        assert _REASON.fullmatch(reason), reason

"""The YAML runner itself: stashed values, paths into the answer, and the assertions' rules."""

from __future__ import annotations

import httpx
import pytest

from tests.api.es_rest.api_spec import build
from tests.api.es_rest.sources import FETCH, missing
from tests.api.es_rest.steps import ASSERTIONS, Runner


def runner(body: object = None) -> Runner:
    made = Runner(httpx.AsyncClient(), auth="Bearer boot", stash={"id": "k1", "n": 3})
    made.body = body
    return made


def test_stashed_values_replace_a_whole_string_or_a_braced_part() -> None:
    assert runner().resolve({"ids": ["$id", "${id}-x"], "size": "$n"}) == {"ids": ["k1", "k1-x"], "size": 3}
    assert runner().resolve("/^(${id}|b)$/") == "/^(k1|b)$/"


def test_paths_index_lists_and_escape_dots_and_missing_is_none() -> None:
    answer = runner({"api_keys": [{"id": "k1", "a.b": 1}]})
    assert answer.lookup("api_keys.0.id") == "k1"
    assert answer.lookup("api_keys.0.a\\.b") == 1
    assert answer.lookup("api_keys.1.id") is None
    assert answer.lookup("$body") == {"api_keys": [{"id": "k1", "a.b": 1}]}


def test_match_takes_a_regex_between_slashes_and_is_false_takes_a_missing_value() -> None:
    ASSERTIONS["match"]("k1", "/^ k\\d $/", "id")  # whitespace in the pattern is ignored, as in Java's COMMENTS
    ASSERTIONS["is_false"](None, None, "limited_by")
    with pytest.raises(AssertionError):
        ASSERTIONS["is_true"]("false", None, "x")
    with pytest.raises(AssertionError):
        ASSERTIONS["length"](None, 0, "x")


@pytest.mark.skipif(bool(missing()), reason=f"Elasticsearch's files absent: run {FETCH}")
def test_a_call_takes_the_path_with_the_most_given_parts_and_leaves_out_nulls() -> None:
    assert build("inference.get", {"inference_id": "e"}).path == "/_inference/e"
    put = build("inference.put", {"task_type": "text_embedding", "inference_id": "e", "body": {}})
    assert (put.method, put.path) == ("PUT", "/_inference/text_embedding/e")
    asked = build("security.has_privileges", {"user": None, "body": {}})
    assert (asked.method, asked.path) == ("POST", "/_security/user/_has_privileges")
    listed = build("security.get_api_key", {"owner": True, "id": "k"})
    assert (listed.method, listed.path, listed.params) == ("GET", "/_security/api_key", {"owner": "true", "id": "k"})

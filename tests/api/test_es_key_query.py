"""``_security/_query/api_key``'s query DSL, sort and paging over key documents, as Elasticsearch reads them."""

from __future__ import annotations

import time
from typing import Any

import pytest

from hfgate.api.es.key_page import page
from hfgate.api.es.key_query import matching
from hfgate.errors import RequestValidationError

NOW = int(time.time() * 1000)
DAY = 86_400_000
DOCS: list[dict[str, Any]] = [
    {
        "id": "a",
        "name": "app-one",
        "creation": NOW - 3 * DAY,
        "expiration": NOW + DAY,
        "invalidated": False,
        "metadata": {"team": "search", "tier": {"level": 2}, "public": False},
    },
    {
        "id": "b",
        "name": "app-two",
        "creation": NOW - 2 * DAY,
        "expiration": None,
        "invalidated": True,
        "metadata": {"team": "ops"},
    },
    {
        "id": "c",
        "name": "Ops",
        "creation": NOW - DAY,
        "expiration": NOW + 10 * DAY,
        "invalidated": False,
        "metadata": {},
    },
]


def ids(query: object) -> list[str]:
    return [d["id"] for d in matching(DOCS, query)]


def test_bool_combines_must_should_and_must_not() -> None:
    assert ids({"bool": {"must": {"prefix": {"name": "app-"}}, "must_not": [{"term": {"invalidated": True}}]}}) == ["a"]
    assert ids({"bool": {"should": [{"term": {"id": "a"}}, {"term": {"id": "c"}}]}}) == ["a", "c"]
    assert ids({"bool": {"filter": [{"term": {"invalidated": "false"}}], "should": [{"ids": {"values": ["c"]}}]}}) == [
        "a", "c",
    ]  # fmt: skip


def test_metadata_fields_are_looked_up_inside_the_metadata() -> None:
    assert ids({"term": {"metadata.team": "search"}}) == ["a"]
    assert ids({"terms": {"metadata.team": ["search", "ops"]}}) == ["a", "b"]
    assert ids({"range": {"metadata.tier.level": {"gte": 2}}}) == ["a"]
    assert ids({"wildcard": {"metadata.team": "o*"}}) == ["b"]
    assert ids({"exists": {"field": "metadata.team"}}) == ["a", "b"]
    assert [d["id"] for d in page(list(DOCS), {"sort": ["metadata.team"]})] == ["b", "a", "c"]


def test_a_boolean_matches_true_or_false_and_no_other_word() -> None:
    assert ids({"term": {"metadata.public": "this"}}) == []
    assert ids({"term": {"metadata.public": "false"}}) == ["a"]
    assert ids({"term": {"invalidated": True}}) == ["b"]


def test_ranges_take_date_math_and_iso_dates() -> None:
    assert ids({"range": {"expiration": {"lte": "now+2d/d"}}}) == ["a"]
    assert ids({"range": {"creation": {"gt": "now-36h"}}}) == ["c"]
    iso = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime((NOW - 2.5 * DAY) / 1000))
    assert ids({"range": {"creation": {"gte": iso}}}) == ["b", "c"]


def test_term_wildcard_and_case_insensitive() -> None:
    assert ids({"term": {"name": {"value": "ops", "case_insensitive": True}}}) == ["c"]
    assert ids({"term": {"name": "ops"}}) == []
    assert ids({"wildcard": {"name": {"value": "app-t*"}}}) == ["b"]
    assert ids({"exists": {"field": "expiration"}}) == ["a", "c"]


@pytest.mark.parametrize(
    ("query", "named"),
    [
        ({"fuzzy": {"name": "x"}}, "[query.fuzzy] is not a query type"),
        ({"term": {"api_key": "x"}}, "field [api_key] is not allowed"),
        ({"range": {"creation": {"lte": "now-1x"}}}, "is not date math"),
        ({"bool": {"must": [{"match_all": {}}], "nope": []}}, "does not take ['nope']"),
    ],
)
def test_what_is_not_supported_is_a_400_naming_it(query: object, named: str) -> None:
    with pytest.raises(RequestValidationError) as caught:
        matching(DOCS, query)
    assert named in caught.value.problems[0]


def test_sort_puts_missing_values_last_and_pages() -> None:
    ordered = page(list(DOCS), {"sort": [{"expiration": {"order": "desc"}}]})
    assert [(d["id"], d["_sort"]) for d in ordered] == [("c", [NOW + 10 * DAY]), ("a", [NOW + DAY]), ("b", [None])]
    assert [d["name"] for d in page(list(DOCS), {"sort": ["name"], "from": 1, "size": 1})] == ["app-one"]
    assert "_sort" not in page(list(DOCS), {})[0]
    with pytest.raises(RequestValidationError, match="cannot sort on"):
        page(list(DOCS), {"sort": "id"})
    with pytest.raises(RequestValidationError, match=r"\[size\] must be a non-negative integer"):
        page(list(DOCS), {"size": -1})

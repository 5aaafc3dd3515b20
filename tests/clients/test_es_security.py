"""Elasticsearch's Python client 9.x (installed apart) creates, reads, queries and invalidates keys of a
live hfgate with keys on: role descriptors become roles and endpoint patterns, and every answer has
Elasticsearch's shape."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from hfgate.config import Settings
from tests.support.apart import run_client
from tests.support.live_server import live_server

BOOT = "boot-key-for-the-client"


@pytest.fixture(scope="module")
def answers(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    data_dir: Path = tmp_path_factory.mktemp("es-security")
    settings = Settings(
        data_dir=data_dir, api_keys=[BOOT], provision_defaults=False, log_format="text",  # type: ignore[arg-type]
        log_level="warning", secret_key="client-secret",  # type: ignore[arg-type]
    )  # fmt: skip
    with live_server(settings) as url:
        yield run_client("es9", "es_security_calls.py", url, BOOT, timeout=300)


def test_the_client_is_9x(answers: dict[str, Any]) -> None:
    assert answers["client"].startswith("9.")


def test_role_descriptors_become_roles_and_endpoint_patterns(answers: dict[str, Any]) -> None:
    got = {k["name"]: k for k in answers["get_owner"]["api_keys"]}
    assert (got["app-reader"]["roles"], got["app-reader"]["endpoints"]) == (["monitor", "infer"], [])
    assert (got["app-team"]["roles"], got["app-team"]["endpoints"]) == (["infer"], ["team-a-*"])
    assert got["ops-inherit"]["roles"] == ["admin"]  # the creator's (the bootstrap key's) permissions
    shown = got["app-team"]["role_descriptors"]["hfgate"]["applications"]
    assert shown == [{"application": "hfgate", "privileges": ["infer"], "resources": ["team-a-*"]}]


def test_a_created_key_has_the_powers_its_descriptors_give(answers: dict[str, Any]) -> None:
    assert "endpoints" in answers["reader_lists_endpoints"]
    assert answers["reader_creates_key"]["status"] == 403
    assert answers["reader_after_revoke"]["status"] == 401


def test_an_index_privilege_is_a_400_naming_it(answers: dict[str, Any]) -> None:
    refused = answers["indices"]
    assert refused["status"] == 400
    assert "[role_descriptors.search.indices]" in refused["error"]["error"]["reason"]


def test_create_answers_in_elasticsearchs_shape(answers: dict[str, Any]) -> None:
    team = answers["team"]
    assert set(team) == {"id", "name", "expiration", "api_key", "encoded"}
    assert "expiration" not in answers["reader"]


def test_get_by_id_name_prefix_and_owner(answers: dict[str, Any]) -> None:
    (one,) = answers["get_by_id"]["api_keys"]
    assert (one["id"], one["type"], one["username"], one["realm"]) == (
        answers["team"]["id"],
        "rest",
        "hfgate",
        "hfgate",
    )
    assert sorted(k["name"] for k in answers["get_by_name_prefix"]["api_keys"]) == ["app-reader", "app-team"]
    assert len(answers["get_owner"]["api_keys"]) == 3
    assert [k["name"] for k in answers["get_owner_and_name"]["api_keys"]] == ["ops-inherit"]
    assert answers["get_other_user"]["api_keys"] == []  # keys belong to the gateway's one owner, hfgate


def test_get_by_id_and_name_together_is_a_400_as_in_elasticsearch(answers: dict[str, Any]) -> None:
    refused = answers["get_id_and_name"]
    assert refused["status"] == 400
    assert "['id', 'name'] cannot be used together" in refused["error"]["error"]["reason"]


def test_query_sorts_pages_and_counts(answers: dict[str, Any]) -> None:
    everything = answers["query_all"]
    assert (everything["total"], everything["count"]) == (3, 3)
    creations = [k["creation"] for k in everything["api_keys"]]
    assert creations == sorted(creations, reverse=True)
    assert [k["_sort"] for k in everything["api_keys"]] == [[c] for c in creations]
    prefixed = answers["query_prefix"]
    assert (prefixed["total"], prefixed["count"], prefixed["api_keys"][0]["name"]) == (2, 1, "app-reader")
    assert [k["name"] for k in answers["query_expiring"]["api_keys"]] == ["app-team"]
    terms = answers["query_terms"]
    assert (terms["total"], terms["count"], terms["api_keys"][0]["name"]) == (2, 1, "ops-inherit")


def test_query_on_a_field_keys_do_not_have_is_a_400(answers: dict[str, Any]) -> None:
    refused = answers["query_bad_field"]
    assert refused["status"] == 400
    assert "field [secret] is not allowed" in refused["error"]["error"]["reason"]


def test_invalidate_by_ids_and_name(answers: dict[str, Any]) -> None:
    by_ids = answers["invalidate_ids"]
    assert by_ids["invalidated_api_keys"] == [answers["reader"]["id"]]
    assert by_ids["error_count"] == 1
    assert "no-such-key" in by_ids["error_details"][0]["reason"]
    by_name = answers["invalidate_name"]
    assert (by_name["invalidated_api_keys"], by_name["error_count"]) == ([answers["team"]["id"]], 0)
    assert "error_details" not in by_name
    revoked = answers["query_invalidated"]["api_keys"]
    assert sorted(k["name"] for k in revoked) == ["app-reader", "app-team"]
    assert all(k["invalidated"] and "invalidation" in k for k in revoked)

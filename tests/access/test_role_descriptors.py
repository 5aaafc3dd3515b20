"""Elasticsearch role descriptors map onto hfgate's roles and endpoint patterns, or are refused naming
the privilege that cannot be expressed."""

from __future__ import annotations

import pytest

from hfgate.access.key_body import parse_key_request
from hfgate.access.role_descriptors import Grants, from_descriptors, to_descriptors
from hfgate.access.roles import Role
from hfgate.errors import RequestValidationError


def app(privileges: list[str], resources: list[str]) -> dict[str, object]:
    return {"application": "hfgate", "privileges": privileges, "resources": resources}


def refusal(raw: object) -> str:
    with pytest.raises(RequestValidationError) as caught:
        from_descriptors(raw)
    assert caught.value.status == 400
    return caught.value.problems[0]


def test_inference_cluster_privileges_map_onto_roles_on_every_endpoint() -> None:
    assert from_descriptors({"r": {"cluster": ["monitor_inference"]}}) == Grants((Role.MONITOR, Role.INFER))
    assert from_descriptors({"r": {"cluster": ["manage_inference"]}}) == Grants((Role.MANAGE, Role.INFER))
    assert from_descriptors({"r": {"cluster": ["manage_api_key"], "metadata": {"x": 1}}}) == Grants((Role.ADMIN,))


def test_same_roles_on_different_resources_join_their_endpoints() -> None:
    raw = {"a": {"applications": [app(["infer"], ["team-a-*"])]}, "b": {"applications": [app(["infer"], ["b"])]}}
    assert from_descriptors(raw) == Grants((Role.INFER,), ("team-a-*", "b"))


def test_different_roles_on_the_same_resources_join_their_roles() -> None:
    raw = {"a": {"applications": [app(["infer"], ["x-*"]), app(["monitor"], ["x-*"])]}}
    assert from_descriptors(raw) == Grants((Role.MONITOR, Role.INFER), ("x-*",))


def test_different_roles_on_different_endpoints_cannot_be_one_key() -> None:
    raw = {"a": {"cluster": ["monitor_inference"], "applications": [app(["manage"], ["team-a-*"])]}}
    assert "create one key per list of endpoints" in refusal(raw)


def test_what_hfgate_cannot_express_is_named() -> None:
    assert "[role_descriptors.r.cluster] privilege(s) ['manage_own_api_key']" in refusal(
        {"r": {"cluster": ["manage_own_api_key"]}}
    )
    assert "[role_descriptors.r.run_as]" in refusal({"r": {"run_as": ["bob"]}})
    assert "must be [hfgate], got [kibana]" in refusal({"r": {"applications": [{"application": "kibana"}]}})
    assert "grant no privilege" in refusal({"r": {"cluster": []}})
    assert "[role_descriptors.r.applications[0].privileges]" in refusal({"r": {"applications": [app(["root"], ["*"])]}})


def test_an_empty_object_gives_the_creators_grants_and_roles_with_descriptors_is_refused() -> None:
    creator = Grants((Role.INFER,), ("mine",))
    request = parse_key_request({"name": "k", "role_descriptors": {}}, creator=creator)
    assert Grants(request.roles, request.endpoints) == creator
    assert parse_key_request({"name": "k"}, creator=creator).endpoints == ("mine",)
    with pytest.raises(RequestValidationError, match="not both"):
        parse_key_request({"name": "k", "roles": ["infer"], "role_descriptors": {}}, creator=creator)
    with pytest.raises(RequestValidationError, match="roles"):
        parse_key_request({"name": "k"})  # no creator (hfgate apply): roles are required


def test_a_keys_descriptor_reads_back_as_the_same_grants() -> None:
    shown = to_descriptors(["manage", "infer"], ["team-a-*"])
    assert from_descriptors(shown) == Grants((Role.MANAGE, Role.INFER), ("team-a-*",))
    assert from_descriptors(to_descriptors(["infer"], [])) == Grants((Role.INFER,))

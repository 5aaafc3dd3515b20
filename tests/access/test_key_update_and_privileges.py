"""``PUT _security/api_key/{id}`` (role descriptors, metadata, expiration; ``updated`` false when nothing
changes) and ``_security/user/_has_privileges`` (what the caller's key holds), on a live app."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

from hfgate.access.privileges import check
from hfgate.access.role_descriptors import Grants
from hfgate.access.roles import Role
from hfgate.config import Settings
from tests.conftest import app_client

BOOT = {"Authorization": "Bearer boot"}


@pytest.fixture
async def http(tmp_path: Path) -> AsyncIterator[httpx.AsyncClient]:
    settings = Settings(data_dir=tmp_path, api_keys=["boot"], provision_defaults=False, log_format="text")
    async with app_client(settings) as client:
        yield client


async def _create(http: httpx.AsyncClient, **body: object) -> dict[str, str]:
    answer = await http.post("/_security/api_key", json=body, headers=BOOT)
    assert answer.status_code == 200, answer.text
    created: dict[str, str] = answer.json()
    return created


async def test_an_update_changes_what_the_key_may_do_at_once(http: httpx.AsyncClient) -> None:
    key = await _create(http, name="k", role_descriptors={"r": {"cluster": ["monitor"]}})
    own = {"Authorization": f"ApiKey {key['encoded']}"}
    assert (await http.put("/_inference/x", json={}, headers=own)).status_code == 403
    body = {"role_descriptors": {"r": {"cluster": ["manage"]}}, "metadata": {"step": 2}, "expiration": "2d"}
    answer = await http.put(f"/_security/api_key/{key['id']}", json=body, headers=BOOT)
    assert answer.json() == {"updated": True}
    assert (
        await http.put(f"/_security/api_key/{key['id']}", json=body | {"expiration": None}, headers=BOOT)
    ).json() == {"updated": False}
    shown = (await http.get("/_security/api_key", params={"id": key["id"]}, headers=BOOT)).json()["api_keys"][0]
    assert (shown["roles"], shown["metadata"]) == (["manage", "infer"], {"step": 2})
    assert shown["expiration"] is not None
    held = await http.post("/_security/user/_has_privileges", json={"cluster": ["manage", "all"]}, headers=own)
    assert held.json()["cluster"] == {"manage": True, "all": False}


async def test_an_unknown_or_revoked_key_is_not_updated(http: httpx.AsyncClient) -> None:
    assert (await http.put("/_security/api_key/nope", json={}, headers=BOOT)).status_code == 404
    key = await _create(http, name="k", roles=["infer"])
    await http.request("DELETE", "/_security/api_key", json={"ids": [key["id"]]}, headers=BOOT)
    refused = await http.put(f"/_security/api_key/{key['id']}", json={"metadata": {}}, headers=BOOT)
    assert refused.status_code == 400
    assert "invalidated" in refused.json()["error"]["reason"]


def test_a_key_limited_to_endpoints_holds_no_cluster_privilege_but_its_application_ones() -> None:
    grants = Grants(roles=(Role.INFER,), endpoints=("team-a-*",))
    asked = {
        "cluster": ["monitor_inference"],
        "index": [{"names": ["logs"], "privileges": ["read"]}],
        "application": [{"application": "hfgate", "privileges": ["infer", "manage"], "resources": ["team-a-1", "b"]}],
    }
    held = check(grants, asked)
    assert held["cluster"] == {"monitor_inference": False}
    assert held["index"] == {"logs": {"read": False}}
    assert held["application"]["hfgate"] == {
        "team-a-1": {"infer": True, "manage": False},
        "b": {"infer": False, "manage": False},
    }
    assert held["has_all_requested"] is False
    assert check(Grants(roles=(Role.ADMIN,)), {"cluster": ["manage_api_key"]})["has_all_requested"] is True


async def test_an_expiration_too_far_off_is_a_400_not_an_overflow(http: httpx.AsyncClient) -> None:
    for path, method, body in (
        ("/_security/api_key", "POST", {"name": "k", "roles": ["infer"], "expiration": "99999999999d"}),
        ("/_security/api_key/any", "PUT", {"expiration": "99999999999d"}),
    ):
        answer = await http.request(method, path, json=body, headers=BOOT)
        assert answer.status_code == 400
        assert "at most 36500d" in answer.json()["error"]["reason"]

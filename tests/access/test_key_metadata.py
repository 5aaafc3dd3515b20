"""A key's ``metadata`` (Elasticsearch's free-form object): kept at creation, shown, and refused when a key
starts with ``_`` (reserved, as Elasticsearch has it)."""

from __future__ import annotations

from pathlib import Path

from hfgate.config import Settings
from tests.conftest import app_client

BOOT = {"Authorization": "Bearer boot"}


async def test_metadata_is_kept_shown_and_queried(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path, api_keys=["boot"], provision_defaults=False, log_format="text")
    async with app_client(settings) as http:
        body = {"name": "tagged", "roles": ["infer"], "metadata": {"team": "search", "tier": {"level": 2}}}
        created = (await http.post("/_security/api_key", json=body, headers=BOOT)).json()
        await http.post("/_security/api_key", json={"name": "plain", "roles": ["infer"]}, headers=BOOT)
        listed = (await http.get("/_security/api_key", params={"id": created["id"]}, headers=BOOT)).json()
        assert listed["api_keys"][0]["metadata"] == {"team": "search", "tier": {"level": 2}}
        query = {"query": {"range": {"metadata.tier.level": {"gte": 2}}}}
        found = (await http.post("/_security/_query/api_key", json=query, headers=BOOT)).json()
        assert [k["name"] for k in found["api_keys"]] == ["tagged"]


async def test_metadata_must_be_an_object_without_reserved_keys(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path, api_keys=["boot"], provision_defaults=False, log_format="text")
    async with app_client(settings) as http:
        for metadata, named in (({"_internal": 1}, "may not start with [_]"), ([1], "must be an object")):
            body = {"name": "k", "roles": ["infer"], "metadata": metadata}
            answer = await http.post("/_security/api_key", json=body, headers=BOOT)
            assert answer.status_code == 400
            assert named in answer.json()["error"]["reason"]

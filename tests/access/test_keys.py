"""Gateway API keys end to end: created once, hashed at rest, cached, revoked on every replica, expired,
kept within their endpoints, and never written anywhere in clear."""

from __future__ import annotations

import asyncio
import logging
import time
from pathlib import Path

import httpx
import pytest

from hfgate.config import Settings
from hfgate.services import ServiceContext
from tests.conftest import app_client
from tests.support.postgres import fresh_database
from tests.support.waiting import until_true

BOOT = {"Authorization": "Bearer boot"}
EMB = ".all-minilm-l6-v2"


def keyed(data_dir: Path, database_url: str | None = None, **extra: object) -> Settings:
    return Settings(
        data_dir=data_dir, database_url=database_url, api_keys=["boot"], log_format="json",  # type: ignore[arg-type]
        secret_key="fleet-secret", **extra,  # type: ignore[arg-type]
    )  # fmt: skip


async def create(http: httpx.AsyncClient, **body: object) -> dict[str, str]:
    answer = await http.post("/_security/api_key", json=body, headers=BOOT)
    assert answer.status_code == 200, answer.text
    created: dict[str, str] = answer.json()
    return created


def bearer(created: dict[str, str], scheme: str = "ApiKey") -> dict[str, str]:
    return {"Authorization": f"{scheme} {created['encoded']}"}


async def test_a_key_survives_a_restart_and_revocation_too(
    tmp_path: Path, database_url: str | None, shared_context: ServiceContext
) -> None:
    settings = keyed(tmp_path, database_url, provision_defaults=False)
    async with app_client(settings, shared_context) as http:
        created = await create(http, name="reader", roles=["monitor"])
        doomed = await create(http, name="doomed", roles=["monitor"])
        await http.request("DELETE", "/_security/api_key", json={"ids": [doomed["id"]]}, headers=BOOT)
    async with app_client(settings, shared_context) as http:
        assert (await http.get("/_inference", headers=bearer(created))).status_code == 200
        assert (await http.get("/_inference", headers=bearer(created, "Bearer"))).status_code == 200
        gone = await http.get("/_inference", headers=bearer(doomed))
        assert gone.status_code == 401
        assert "revoked" in gone.json()["error"]["reason"]
        listed = (await http.get("/_security/api_key", headers=BOOT)).json()["api_keys"]
        assert [(k["name"], k["invalidated"]) for k in listed] == [("reader", False), ("doomed", True)]


async def test_the_secret_is_never_stored_or_logged_in_clear(tmp_path: Path, shared_context: ServiceContext) -> None:
    records: list[str] = []
    handler = logging.Handler()
    handler.emit = lambda record: records.append(handler.format(record) + repr(record.__dict__))  # type: ignore[method-assign]
    try:
        async with app_client(keyed(tmp_path, log_level="debug"), shared_context) as http:
            logging.getLogger("hfgate").addHandler(handler)  # after the app set up hfgate's logging
            created = await create(http, name="app", roles=["infer"])
            await http.post(f"/_inference/{EMB}", json={"input": "hi"}, headers=bearer(created))
            await http.get("/_inference", headers=bearer(created))  # a 403, logged like any request
            await http.get("/_usage", headers=BOOT)
    finally:
        logging.getLogger("hfgate").removeHandler(handler)
    stored = b"".join(path.read_bytes() for path in sorted(tmp_path.glob("hfgate.db*")))  # noqa: ASYNC240
    assert created["id"].encode() in stored  # the key is there, by id…
    for secret in (created["api_key"], created["encoded"], "boot"):
        assert secret.encode() not in stored  # …its secret is not, nor the bootstrap key
        assert not any(secret in record for record in records), f"{secret[:6]}… is in the logs"
    assert any("api_key.create" in record for record in records)


async def test_wrong_secret_unknown_id_and_garbage_are_401(tmp_path: Path, shared_context: ServiceContext) -> None:
    import base64

    async with app_client(keyed(tmp_path, provision_defaults=False), shared_context) as http:
        created = await create(http, name="app", roles=["monitor"])
        assert (await http.get("/_inference", headers=bearer(created))).status_code == 200  # cached now
        forged = base64.b64encode(f"{created['id']}:{created['api_key']}x".encode()).decode()
        unknown = base64.b64encode(f"nope:{created['api_key']}".encode()).decode()
        for token in (forged, unknown, "garbage", created["api_key"]):
            answer = await http.get("/_inference", headers={"Authorization": f"ApiKey {token}"})
            assert answer.status_code == 401, token
            assert answer.headers["www-authenticate"] == "Bearer"


async def test_an_expired_key_is_refused(tmp_path: Path, shared_context: ServiceContext) -> None:
    async with app_client(keyed(tmp_path, provision_defaults=False), shared_context) as http:
        created = await create(http, name="brief", roles=["monitor"], expiration="4s")
        assert (await http.get("/_inference", headers=bearer(created))).status_code == 200
        deadline = time.monotonic() + 15
        while (expired := await http.get("/_inference", headers=bearer(created))).status_code == 200:
            assert time.monotonic() < deadline, "the key outlived its expiration"
            await asyncio.sleep(0.2)
        assert expired.status_code == 401
        assert "expired" in expired.json()["error"]["reason"]


async def test_bad_create_bodies_name_the_field(tmp_path: Path, shared_context: ServiceContext) -> None:
    async with app_client(keyed(tmp_path, provision_defaults=False), shared_context) as http:
        cases = {
            "name": {"roles": ["infer"]},
            "roles": {"name": "x", "roles": ["root"]},
            "expiration": {"name": "x", "roles": ["infer"], "expiration": "soon"},
            "requests_per_minute": {"name": "x", "roles": ["infer"], "limits": {"requests_per_minute": 0}},
            "endpoints": {"name": "x", "roles": ["infer"], "endpoints": "all"},
        }
        for field, body in cases.items():
            answer = await http.post("/_security/api_key", json=body, headers=BOOT)
            assert answer.status_code == 400, (field, answer.text)
            assert field in answer.json()["error"]["reason"]


async def test_a_key_stays_within_its_endpoints_on_every_face(tmp_path: Path, shared_context: ServiceContext) -> None:
    async with app_client(keyed(tmp_path), shared_context) as http:
        body = {"service": "local", "service_settings": {"model": "all-MiniLM-L6-v2"}}
        for name in ("team-a-emb", "team-b-emb"):
            made = await http.put(f"/_inference/text_embedding/{name}?skip_validation=true", json=body, headers=BOOT)
            assert made.status_code == 200, made.text
        created = await create(http, name="team-a", roles=["infer", "monitor"], endpoints=["team-a-*"])
        headers = bearer(created)
        assert (await http.post("/_inference/team-a-emb", json={"input": "hi"}, headers=headers)).status_code == 200
        refused = await http.post("/_inference/team-b-emb", json={"input": "hi"}, headers=headers)
        assert refused.status_code == 403
        assert "team-b-emb" in refused.json()["error"]["reason"]
        openai = await http.post("/v1/embeddings", json={"model": "team-b-emb", "input": "hi"}, headers=headers)
        assert openai.status_code == 403
        assert openai.json()["error"]["type"] == "permission_error"
        hf = await http.post("/hf/team-b-emb/embed", json={"inputs": "hi"}, headers=headers)
        assert (hf.status_code, hf.json()["error_type"]) == (403, "Unauthorized")
        listed = (await http.get("/_inference", headers=headers)).json()["endpoints"]
        assert [e["inference_id"] for e in listed] == ["team-a-emb"]
        models = (await http.get("/v1/models", headers=headers)).json()["data"]
        assert [m["id"] for m in models] == ["team-a-emb"]


async def test_the_gateway_is_open_only_until_the_first_key_exists(
    tmp_path: Path, shared_context: ServiceContext
) -> None:
    settings = Settings(data_dir=tmp_path, provision_defaults=False, log_format="text")
    async with app_client(settings, shared_context) as http:
        assert (await http.get("/_inference")).status_code == 200
        first = await http.post("/_security/api_key", json={"name": "admin", "roles": ["admin"]})
        assert first.status_code == 200
        assert (await http.get("/_inference")).status_code == 401
        assert (await http.get("/_inference", headers=bearer(first.json()))).status_code == 200


@pytest.mark.postgres
async def test_revocation_reaches_another_replica_through_the_change_feed(
    tmp_path: Path, shared_context: ServiceContext
) -> None:
    with fresh_database() as url:
        one = keyed(tmp_path / "one", url, provision_defaults=False, registry_cache_seconds=60)
        two = keyed(tmp_path / "two", url, provision_defaults=False, registry_cache_seconds=60)
        async with app_client(one, shared_context) as first, app_client(two, shared_context) as second:
            created = await create(first, name="app", roles=["monitor"])
            assert (await second.get("/_inference", headers=bearer(created))).status_code == 200  # cached for 60 s
            await first.request("DELETE", "/_security/api_key", json={"ids": [created["id"]]}, headers=BOOT)

            async def refused() -> bool:
                return (await second.get("/_inference", headers=bearer(created))).status_code == 401

            await until_true(refused, within=5, what="the other replica refusing the revoked key")


def test_a_key_id_never_starts_with_a_dash_which_a_command_line_reads_as_an_option() -> None:
    from hfgate.access.tokens import issue

    # base64url ids start with "-" 1 time in 64: 2,000 keys would show one with near certainty.
    assert not [key.key_id for key in (issue() for _ in range(2000)) if key.key_id.startswith("-")]

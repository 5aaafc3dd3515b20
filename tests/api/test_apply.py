"""Configuration as code: ``POST /_hfgate/apply`` and ``GET /_hfgate/export`` against the fake Hugging Face server."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.conftest import app_client
from tests.fakes.hf_fixtures import fake_hf, fake_hf_server, hf_settings
from tests.fakes.hf_server import TOKEN, FakeHF

__all__ = ["fake_hf", "fake_hf_server"]
ADMIN = "bootstrap-admin-key-for-apply-tests"


@asynccontextmanager
async def _app(fake: FakeHF, data_dir: Path) -> AsyncIterator[httpx.AsyncClient]:
    settings = hf_settings(fake.base, data_dir).model_copy(
        update={"provision_defaults": False, "registry_cache_seconds": 0, "log_format": "text", "api_keys": [ADMIN]}
    )
    async with app_client(settings) as http:
        http.headers["Authorization"] = f"Bearer {ADMIN}"  # the gateway closes once apply creates a key
        yield http


def _file(base: str, *, chunk: int = 120, secret: str = "${HF_TOKEN}", extra: str = "") -> str:
    return f"""\
endpoints:
  tei-emb:
    task_type: text_embedding
    service: hugging_face
    service_settings:
      url: {base}/tei
      api_key: "{secret}"
    chunking_settings: {{strategy: sentence, max_chunk_size: {chunk}, sentence_overlap: 1}}
keys:
  search-app:
    roles: [infer]
    endpoints: ["tei-*"]
    limits: {{requests_per_minute: 600}}
{extra}"""


async def _apply(api: httpx.AsyncClient, text: str, **options: Any) -> httpx.Response:
    body = {"document": text, "file": "hfgate.yaml", "env": {"HF_TOKEN": TOKEN, "NEW_TOKEN": "hf_new"}, **options}
    return await api.post("/_hfgate/apply", json=body)


async def _export(api: httpx.AsyncClient) -> str:
    answer = await api.get("/_hfgate/export")
    assert answer.status_code == 200, answer.text
    return answer.text


async def test_apply_creates_then_a_second_apply_changes_nothing_and_says_so(fake_hf: FakeHF, tmp_path: Path) -> None:
    async with _app(fake_hf, tmp_path / "a") as api:
        first = (await _apply(api, _file(fake_hf.base))).json()
        assert [(c["action"], c["kind"], c["name"]) for c in first["changes"]] == [
            ("create", "endpoint", "tei-emb"),
            ("create", "key", "search-app"),
        ]
        assert first["created_keys"][0]["name"] == "search-app"
        endpoint = (await api.get("/_inference/tei-emb")).json()["endpoints"][0]
        assert endpoint["chunking_settings"]["max_chunk_size"] == 120
        assert TOKEN not in (await _export(api))
        second = (await _apply(api, _file(fake_hf.base))).json()
        assert second["changes"] == []
        assert second["summary"] == "no changes: the registry matches the file"
        assert second["unchanged"] == 2


async def test_dry_run_prints_the_diff_and_changes_nothing(fake_hf: FakeHF, tmp_path: Path) -> None:
    async with _app(fake_hf, tmp_path / "a") as api:
        await _apply(api, _file(fake_hf.base))
        before = await _export(api)
        planned = (await _apply(api, _file(fake_hf.base, chunk=200, secret="${NEW_TOKEN}"), dry_run=True)).json()
        assert planned["dry_run"] is True
        assert "~ endpoint tei-emb (update)" in planned["diff"]
        assert "chunking_settings:" in planned["diff"]
        assert "service_settings.api_key: (secret changed)" in planned["diff"]
        assert TOKEN not in planned["diff"]
        assert await _export(api) == before


async def test_apply_updates_through_update_semantics_and_prune_deletes_and_revokes(
    fake_hf: FakeHF, tmp_path: Path
) -> None:
    async with _app(fake_hf, tmp_path / "a") as api:
        await _apply(api, _file(fake_hf.base))
        assert (await api.post("/_security/api_key", json={"name": "old", "roles": ["monitor"]})).status_code == 200
        changed = (await _apply(api, _file(fake_hf.base, chunk=200))).json()
        assert [(c["action"], c["name"]) for c in changed["changes"]] == [("update", "tei-emb")]
        endpoint = (await api.get("/_inference/tei-emb")).json()["endpoints"][0]
        assert endpoint["chunking_settings"]["max_chunk_size"] == 200
        pruned = (await _apply(api, "endpoints: {}\nkeys:\n  search-app: {roles: [infer], endpoints: ['tei-*'], "
                               "limits: {requests_per_minute: 600}}\n", prune=True)).json()  # fmt: skip
        assert sorted((c["action"], c["kind"], c["name"]) for c in pruned["changes"]) == [
            ("delete", "endpoint", "tei-emb"),
            ("delete", "key", "old"),
        ]
        assert (await api.get("/_inference/tei-emb")).status_code == 404
        keys = (await api.get("/_security/api_key", params={"name": "old"})).json()["api_keys"]
        assert keys[0]["invalidated"] is True


async def test_a_key_whose_roles_change_is_amended_in_place(fake_hf: FakeHF, tmp_path: Path) -> None:
    async with _app(fake_hf, tmp_path / "a") as api:
        await _apply(api, _file(fake_hf.base))
        widened = _file(fake_hf.base).replace("roles: [infer]", "roles: [infer, monitor]")
        answer = (await _apply(api, widened)).json()
        assert [(c["action"], c["name"]) for c in answer["changes"]] == [("update", "search-app")]
        assert answer["created_keys"] == []
        keys = (await api.get("/_security/api_key", params={"name": "search-app"})).json()["api_keys"]
        assert len(keys) == 1
        assert sorted(keys[0]["roles"]) == ["infer", "monitor"]


async def test_export_then_apply_on_an_empty_database_then_export_gives_the_same_file(
    fake_hf: FakeHF, tmp_path: Path
) -> None:
    async with _app(fake_hf, tmp_path / "a") as api:
        await _apply(api, _file(fake_hf.base))
        exported = await _export(api)
    assert "${HFGATE_TEI_EMB_API_KEY}" in exported
    async with _app(fake_hf, tmp_path / "b") as api:
        body = {"document": exported, "file": "export.yaml", "env": {"HFGATE_TEI_EMB_API_KEY": TOKEN}}
        applied = await api.post("/_hfgate/apply", json=body)
        assert applied.status_code == 200, applied.text
        again = await _export(api)
        assert again.splitlines() == exported.splitlines()
        assert (await api.post("/_hfgate/apply", json=body)).json()["changes"] == []


async def test_export_as_json_is_applied_the_same(fake_hf: FakeHF, tmp_path: Path) -> None:
    async with _app(fake_hf, tmp_path / "a") as api:
        await _apply(api, _file(fake_hf.base))
        as_json = (await api.get("/_hfgate/export", params={"format": "json"})).text
        body = {"document": as_json, "file": "hfgate.json", "env": {"HFGATE_TEI_EMB_API_KEY": TOKEN}}
        assert (await api.post("/_hfgate/apply", json=body)).json()["changes"] == []


async def test_every_problem_of_the_file_names_file_line_and_field_and_nothing_changes(
    fake_hf: FakeHF, tmp_path: Path
) -> None:
    bad = (
        _file(fake_hf.base, secret="hf_literal")
        + """\
  broken:
    roles: [wizard]
    colour: blue
"""
    )
    bad = bad.replace("keys:\n", "  other:\n    service: hugging_face\n    task_type: nonsense\n"
                      "    service_settings: {url: '${MISSING_URL}'}\nkeys:\n")  # fmt: skip
    async with _app(fake_hf, tmp_path / "a") as api:
        answer = await _apply(api, bad)
        assert answer.status_code == 400
        reason = answer.json()["error"]["reason"]
        assert "hfgate.yaml:7: [endpoints.tei-emb.service_settings.api_key] is a secret" in reason
        assert (
            "hfgate.yaml:12: [endpoints.other.service_settings.url] refers to ${MISSING_URL}, which is not set"
            in reason
        )
        assert "hfgate.yaml:20: [keys.broken.colour] unknown field" in reason
        assert "hfgate.yaml:19: [keys.broken.roles] unknown role(s) ['wizard']" in reason
        assert "hfgate.yaml:11: [endpoints.other.task_type] Unknown task_type [nonsense]" in reason
        assert "does not contain the required setting" not in reason  # the literal secret is reported once
        assert (await api.get("/_inference")).json()["endpoints"] == []
        assert (await api.get("/_security/api_key")).json()["api_keys"] == []


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("endpoints:\n  a: [1,\n", "hfgate.yaml:3: not valid YAML or JSON"),
        ("endpoints:\n  a: {service: local}\n  a: {service: local}\n", "hfgate.yaml:3: [endpoints.a] is repeated"),
        ("endpoint:\n  a: {}\n", "hfgate.yaml:1: [endpoint] unknown section"),
        ("# nothing\n", "hfgate.yaml:1: the file is empty"),
        ("endpoints:\n  a: \x99\n", "hfgate.yaml:2: not valid YAML or JSON: special characters are not allowed"),
    ],
)
async def test_a_malformed_file_is_refused_naming_its_line(
    fake_hf: FakeHF, tmp_path: Path, text: str, expected: str
) -> None:
    async with _app(fake_hf, tmp_path / "a") as api:
        answer = await _apply(api, text)
        assert answer.status_code == 400
        assert expected in answer.json()["error"]["reason"]


async def test_apply_and_export_need_the_admin_role(fake_hf: FakeHF, tmp_path: Path) -> None:
    async with _app(fake_hf, tmp_path / "a") as api:
        created = (await _apply(api, _file(fake_hf.base))).json()["created_keys"][0]["encoded"]
        infer_only = {"Authorization": f"ApiKey {created}"}
        body = {"document": "endpoints: {}\n", "prune": True}
        refused = await api.post("/_hfgate/apply", json=body, headers=infer_only)
        assert refused.status_code == 403
        assert (await api.get("/_hfgate/export", headers=infer_only)).status_code == 403
        assert (await api.get("/_inference/tei-emb")).status_code == 200


def _priced(base: str, *, per_day: str = "5") -> str:
    return f"""\
endpoints:
  tei-emb:
    task_type: text_embedding
    service: hugging_face
    service_settings:
      url: {base}/tei
      api_key: "${{HF_TOKEN}}"
      price: {{input: 0.02}}
      budget: {{usd_per_day: 10, usd_per_month: 250}}
keys:
  team-a:
    roles: [infer]
    limits: {{requests_per_minute: 600, usd_per_day: {per_day}, usd_per_month: "100.50"}}
"""


async def test_prices_budgets_and_spend_limits_apply_export_and_round_trip(fake_hf: FakeHF, tmp_path: Path) -> None:
    async with _app(fake_hf, tmp_path / "a") as api:
        assert (await _apply(api, _priced(fake_hf.base))).status_code == 200
        endpoint = (await api.get("/_inference/tei-emb")).json()["endpoints"][0]
        assert endpoint["service_settings"]["price"] == {"input": 0.02}
        assert endpoint["service_settings"]["budget"] == {"usd_per_day": 10.0, "usd_per_month": 250.0}
        [key] = (await api.get("/_security/api_key", params={"name": "team-a"})).json()["api_keys"]
        assert (key["limits"]["usd_per_day"], key["limits"]["usd_per_month"]) == ("5", "100.5")
        assert (await _apply(api, _priced(fake_hf.base))).json()["changes"] == []
        raised = (await _apply(api, _priced(fake_hf.base, per_day="6.25"), dry_run=True)).json()
        assert "limits.usd_per_day: '5' → '6.25'" in raised["diff"]
        assert (await _apply(api, _priced(fake_hf.base, per_day="6.25"))).json()["changes"][0]["action"] == "update"
        [key] = (await api.get("/_security/api_key", params={"name": "team-a"})).json()["api_keys"]
        assert key["limits"]["usd_per_day"] == "6.25"
        assert (await _apply(api, _priced(fake_hf.base))).status_code == 200
        exported = await _export(api)
    assert "usd_per_day: '5'" in exported
    async with _app(fake_hf, tmp_path / "b") as api:
        body = {"document": exported, "file": "export.yaml", "env": {"HFGATE_TEI_EMB_API_KEY": TOKEN}}
        assert (await api.post("/_hfgate/apply", json=body)).status_code == 200
        assert (await _export(api)).splitlines() == exported.splitlines()

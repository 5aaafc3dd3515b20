"""Usage accounting: a known sequence of requests gives exactly the counts expected, written in batches
and kept across a clean shutdown; ``GET /_usage`` filters by key, endpoint and time; ``hfgate usage``."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
from typer.testing import CliRunner

from hfgate.cli import app
from hfgate.config import Settings
from hfgate.services import ServiceContext
from tests.conftest import app_client
from tests.support.live_server import live_server

BOOT = {"Authorization": "Bearer boot"}
EMB = ".all-minilm-l6-v2"
GEN = ".smollm2-135m-instruct"


def keyed(data_dir: Path, database_url: str | None = None) -> Settings:
    # No background flush during the test: what is in the database got there at shutdown or on a read.
    return Settings(data_dir=data_dir, database_url=database_url, api_keys=["boot"], log_format="text",  # type: ignore[arg-type]
                    secret_key="s", usage_flush_seconds=3600)  # fmt: skip


async def key(http: httpx.AsyncClient, name: str) -> tuple[str, dict[str, str]]:
    made = (await http.post("/_security/api_key", json={"name": name, "roles": ["infer"]}, headers=BOOT)).json()
    return made["id"], {"Authorization": f"ApiKey {made['encoded']}"}


async def run_sequence(http: httpx.AsyncClient) -> dict[str, Any]:
    """Two keys, two endpoints, two faces, one failure; what each response says it used. Usage is
    recorded under the endpoint's task type (as the metrics are): a chat on a completion model is `completion`."""
    alice, as_alice = await key(http, "alice")
    bob, as_bob = await key(http, "bob")
    short = {"task_settings": {"max_new_tokens": 2}}
    assert (await http.put(f"/_inference/{GEN}/_update", json=short, headers=BOOT)).status_code == 200
    used = {"alice_in": 0, "bob_in": 0, "bob_out": 0}
    for text in ("hello world", "a slightly longer sentence to embed"):
        answer = await http.post("/v1/embeddings", json={"model": EMB, "input": text}, headers=as_alice)
        used["alice_in"] += answer.json()["usage"]["prompt_tokens"]
    es = await http.post(f"/_inference/text_embedding/{EMB}", json={"input": ["hello world"]}, headers=as_alice)
    assert es.status_code == 200
    used["alice_in"] += 4  # [CLS] hello world [SEP], by the model's own tokenizer
    failed = await http.post(f"/_inference/text_embedding/{EMB}", json={"input": []}, headers=as_alice)
    assert failed.status_code == 400
    chat = {"model": GEN, "messages": [{"role": "user", "content": "Say hi"}], "max_tokens": 2}
    answer = (await http.post("/v1/chat/completions", json=chat, headers=as_bob)).json()
    used["bob_in"], used["bob_out"] = answer["usage"]["prompt_tokens"], answer["usage"]["completion_tokens"]
    return {"alice": alice, "bob": bob, **used}


async def test_usage_matches_a_known_sequence_exactly_and_survives_a_clean_shutdown(
    tmp_path: Path, database_url: str | None, shared_context: ServiceContext
) -> None:
    settings = keyed(tmp_path, database_url)
    async with app_client(settings, shared_context) as http:
        seq = await run_sequence(http)
    async with app_client(settings, shared_context) as http:  # nothing was written before the shutdown
        found = (await http.get("/_usage", headers=BOOT)).json()
    lines = {(line["key_name"], line["inference_id"], line["task_type"]): line for line in found["usage"]}
    assert set(lines) == {("alice", EMB, "text_embedding"), ("bob", GEN, "completion")}
    alice = lines[("alice", EMB, "text_embedding")]
    assert (alice["requests"], alice["errors"], alice["statuses"]) == (4, 1, {"200": 3, "400": 1})
    assert (alice["input_tokens"], alice["output_tokens"]) == (seq["alice_in"], 0)
    bob = lines[("bob", GEN, "completion")]
    assert (bob["requests"], bob["input_tokens"], bob["output_tokens"]) == (1, seq["bob_in"], seq["bob_out"])
    assert bob["output_tokens"] > 0
    assert found["totals"]["requests"] == 5
    assert bob["latency_ms_max"] >= bob["latency_ms_avg"] > 0


async def test_usage_filters_by_key_endpoint_and_time(tmp_path: Path, shared_context: ServiceContext) -> None:
    async with app_client(keyed(tmp_path), shared_context) as http:
        seq = await run_sequence(http)
        by_key = (await http.get("/_usage", params={"key": seq["bob"]}, headers=BOOT)).json()
        assert [line["key_name"] for line in by_key["usage"]] == ["bob"]
        by_endpoint = (await http.get("/_usage", params={"endpoint": EMB}, headers=BOOT)).json()
        assert by_endpoint["totals"]["requests"] == 4
        later = (datetime.now(UTC) + timedelta(hours=2)).strftime("%Y-%m-%dT%H:00:00Z")
        assert (await http.get("/_usage", params={"from": later}, headers=BOOT)).json()["totals"]["requests"] == 0
        bad = await http.get("/_usage", params={"from": "yesterday"}, headers=BOOT)
        assert bad.status_code == 400
        assert "[from]" in bad.json()["error"]["reason"]
        page = await http.get("/ui/usage", headers=BOOT)
        assert page.status_code == 200
        assert "alice" in page.text
        assert "<rect" in page.text


def test_cli_shows_usage_and_manages_keys(tmp_path: Path, shared_context: ServiceContext) -> None:
    runner = CliRunner()
    settings = keyed(tmp_path).model_copy(update={"provision_defaults": False, "usage_flush_seconds": 5.0})
    with live_server(settings, context=shared_context) as url:
        common = ["--url", url, "--api-key", "boot"]
        made = runner.invoke(app, ["keys", "create", "cli-app", "--role", "infer", "--rpm", "60", *common])
        assert made.exit_code == 0, made.output
        encoded = next(line.split(": ", 1)[1] for line in made.stdout.splitlines() if line.startswith("key: "))
        assert httpx.get(f"{url}/v1/models", headers={"Authorization": f"ApiKey {encoded}"}).status_code == 200
        listed = runner.invoke(app, ["keys", "list", *common])
        assert "cli-app" in listed.output
        assert "60 rpm" in listed.output
        key_id = next(line.split(": ", 1)[1] for line in made.stdout.splitlines() if line.startswith("id: "))
        revoked = runner.invoke(app, ["keys", "revoke", key_id, *common])
        assert revoked.exit_code == 0
        assert key_id in revoked.output
        assert httpx.get(f"{url}/v1/models", headers={"Authorization": f"ApiKey {encoded}"}).status_code == 401
        usage = runner.invoke(app, ["usage", "--json", *common])
        assert usage.exit_code == 0, usage.output
        unknown = runner.invoke(app, ["keys", "revoke", "no-such-id", *common])
        assert unknown.exit_code == 1
        assert "no-such-id" in unknown.output

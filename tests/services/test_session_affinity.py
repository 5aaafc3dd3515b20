"""Session affinity through hfgate's API: three fake TGI replicas as one endpoint's ``urls``, two hfgate
apps as two replicas of the gateway (each with its own database and balancers, sharing nothing)."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Iterator
from contextlib import AsyncExitStack
from pathlib import Path
from typing import Any

import httpx
import pytest

from hfgate.config import Settings
from hfgate.upstream.http.affinity import ranked
from tests.conftest import app_client
from tests.fakes.hf_server import TOKEN, FakeHF, Fault
from tests.support.metrics import sample

CHAT = "/tgi/v1/chat/completions"
SESSIONS = [f"s{i:02d}" for i in range(30)]  # with 3 replicas, each is some session's first (1 - 3·(2/3)³⁰)


@pytest.fixture
def replicas() -> Iterator[list[FakeHF]]:
    started: list[FakeHF] = []
    try:
        for _ in range(3):
            server = FakeHF()
            server.start()
            started.append(server)
        yield started
    finally:
        for server in started:
            server.stop()


@pytest.fixture
async def gateways(tmp_path: Path) -> AsyncIterator[list[httpx.AsyncClient]]:
    async with AsyncExitStack() as stack:
        apps = []
        for name in ("one", "two"):
            settings = Settings(
                data_dir=tmp_path / name, provision_defaults=False, registry_cache_seconds=0, log_format="text"
            )
            apps.append(await stack.enter_async_context(app_client(settings)))
        yield apps


def body(urls: list[str], **more: Any) -> dict[str, Any]:
    limit = {"requests_per_minute": 1_000_000}
    return {
        "service": "hugging_face",
        "service_settings": {"api_key": TOKEN, "rate_limit": limit, "urls": urls, **more},
    }


async def affinity(gateway: httpx.AsyncClient, endpoint: str, outcome: str | None = None) -> float:
    """``hfgate_affinity_total`` of ``endpoint`` (one process: both gateways' counts, their checks at create too)."""
    labels = {"endpoint": endpoint} | ({"outcome": outcome} if outcome else {})
    return sample((await gateway.get("/metrics")).text, "hfgate_affinity_total", **labels)


async def create(gateways: list[httpx.AsyncClient], task: str, inference_id: str, settings: dict[str, Any]) -> None:
    for gateway in gateways:
        created = await gateway.put(f"/_inference/{task}/{inference_id}", json=settings)
        assert created.status_code == 200, created.text


async def chat(gateway: httpx.AsyncClient, model: str, messages: list[dict[str, str]], session: str = "") -> None:
    headers = {"X-Claude-Code-Session-Id": session} if session else {}
    payload = {"model": model, "messages": messages, "max_tokens": 2}
    answer = await gateway.post("/v1/chat/completions", json=payload, headers=headers)
    assert answer.status_code == 200, answer.text


def served(replicas: list[FakeHF], marker: str) -> set[str]:
    """The replicas whose recorded chats carry ``marker`` in a message."""
    return {
        replica.base
        for replica in replicas
        for hit in replica.hits(CHAT)
        if any(marker in str(m.get("content")) for m in hit.body["messages"])
    }


def said(session: str) -> list[dict[str, str]]:
    return [{"role": "user", "content": f"hello from <{session}>"}]


async def test_a_session_lands_on_the_same_replica_from_both_gateways_and_a_downed_replica_moves_only_its_own(
    replicas: list[FakeHF], gateways: list[httpx.AsyncClient], caplog: pytest.LogCaptureFixture
) -> None:
    urls = [f"{replica.base}/tgi" for replica in replicas]
    await create(gateways, "chat_completion", "pinned", body(urls))
    for round_ in range(2):
        for session in SESSIONS:
            await chat(gateways[round_ % 2], "pinned", said(session), session)
    home = {}
    for session in SESSIONS:
        where = served(replicas, f"<{session}>")
        assert len(where) == 1, f"{session} was served by {where}"  # both gateways sent it to one replica
        home[session] = where.pop()
    assert set(home.values()) == {replica.base for replica in replicas}  # the sessions spread over all three

    down = replicas[1]
    down.stop()
    for replica in replicas:
        replica.requests.clear()
    caplog.clear()
    with caplog.at_level(logging.INFO, logger="hfgate.access"):
        for session in SESSIONS:
            await chat(gateways[1], "pinned", said(session), session)
    for session in SESSIONS:
        (now,) = served(replicas, f"<{session}>")
        if home[session] != down.base:
            assert now == home[session]  # the healthy replicas keep their sessions
        else:
            second = urls[ranked(f"session:{session}", urls)[1]]
            assert f"{now}/tgi" == second  # the downed replica's go to their next in the same order

    moved = sum(home[s] == down.base for s in SESSIONS)
    logged = [r for r in caplog.records if r.name == "hfgate.access" and getattr(r, "method", "") == "POST"]
    outcomes = [(getattr(r, "affinity", None), getattr(r, "affinity_key", None)) for r in logged]
    assert outcomes.count(("moved", "session")) == moved
    assert outcomes.count(("kept", "session")) == len(SESSIONS) - moved
    assert all(getattr(r, "upstream", "").startswith("http://127.0.0.1:") for r in logged)
    assert await affinity(gateways[1], "pinned", "moved") == moved


async def test_a_conversation_without_a_session_id_stays_on_one_replica_turn_after_turn(
    replicas: list[FakeHF], gateways: list[httpx.AsyncClient]
) -> None:
    await create(gateways, "chat_completion", "talks", body([f"{r.base}/tgi" for r in replicas]))
    kept = await affinity(gateways[0], "talks", "kept")
    for turn in range(3):
        for i in range(8):
            messages = [{"role": "system", "content": "You are terse."}, *said(f"c{i}")]
            for earlier in range(turn):
                messages += [{"role": "assistant", "content": "ok"}, {"role": "user", "content": f"turn {earlier}"}]
            await chat(gateways[(turn + i) % 2], "talks", messages)
    for i in range(8):
        assert len(served(replicas, f"<c{i}>")) == 1
    assert await affinity(gateways[0], "talks", "kept") - kept == 3 * 8
    assert await affinity(gateways[0], "talks", "moved") == 0


async def test_requests_without_a_session_key_or_with_affinity_off_still_spread(
    replicas: list[FakeHF], gateways: list[httpx.AsyncClient]
) -> None:
    urls = [f"{replica.base}/tgi" for replica in replicas]
    await create(gateways[:1], "completion", "prompts", body(urls))
    await create(gateways[:1], "chat_completion", "spread", body(urls, session_affinity=False))
    for replica in replicas:
        replica.inject("/tgi", *[Fault(delay=0.2)] * 6)  # each request stays in flight while the others pick
    gateway = gateways[0]
    none = await affinity(gateway, "prompts", "none")
    prompts = [gateway.post("/_inference/completion/prompts", json={"input": f"p{i}"}) for i in range(6)]
    assert all(a.status_code == 200 for a in await asyncio.gather(*prompts))
    assert all(replica.hits("/tgi/") for replica in replicas)  # the least busy: each replica took some

    for replica in replicas:
        replica.requests.clear()
    await asyncio.gather(*(chat(gateway, "spread", said("same"), "one-session") for _ in range(6)))
    assert len(served(replicas, "<same>")) == 3  # affinity off: one session spread over all

    assert await affinity(gateway, "prompts", "none") - none == 6
    assert await affinity(gateway, "spread") == 0  # off: not counted


async def test_a_session_affinity_that_is_not_a_boolean_is_a_400_naming_the_field(
    gateways: list[httpx.AsyncClient],
) -> None:
    settings = body(["http://127.0.0.1:9/a", "http://127.0.0.1:9/b"], session_affinity="yes")
    answer = await gateways[0].put("/_inference/chat_completion/bad?skip_validation=true", json=settings)
    assert answer.status_code == 400, answer.text
    assert "field [session_affinity] is not of the expected type" in answer.json()["error"]["reason"]


async def test_a_session_named_by_header_by_messages_metadata_and_streamed_lands_on_one_replica(
    replicas: list[FakeHF], gateways: list[httpx.AsyncClient], caplog: pytest.LogCaptureFixture
) -> None:
    await create(gateways, "chat_completion", "agent", body([f"{r.base}/tgi" for r in replicas]))
    caplog.clear()
    with caplog.at_level(logging.INFO, logger="hfgate.access"):
        for session in SESSIONS[:6]:
            await chat(gateways[0], "agent", said(f"{session}-header"), session)
            streamed = {"model": "agent", "messages": said(f"{session}-stream"), "max_tokens": 2, "stream": True}
            answer = await gateways[1].post("/v1/chat/completions", json=streamed, headers={"session-id": session})
            assert answer.status_code == 200, answer.text
            assert "[DONE]" in answer.text
            metadata = {"user_id": f'{{"device_id": "d", "session_id": "{session}"}}'}
            message = {"model": "agent", "max_tokens": 2, "messages": said(f"{session}-meta"), "metadata": metadata}
            assert (await gateways[1].post("/v1/messages", json=message)).status_code == 200
    for session in SESSIONS[:6]:
        where = served(replicas, f"<{session}-")  # the header's, the stream's and the metadata's requests
        assert len(where) == 1, f"{session} was served by {where}"
    logged = [r for r in caplog.records if r.name == "hfgate.access" and getattr(r, "method", "") == "POST"]
    assert {(getattr(r, "affinity", None), getattr(r, "affinity_key", None)) for r in logged} == {("kept", "session")}


def apply_file(urls: list[str], value: str) -> str:
    listed = ", ".join(urls)
    return f"""\
endpoints:
  coder:
    task_type: chat_completion
    service: hugging_face
    service_settings:
      urls: [{listed}]
      api_key: ${{HF_TOKEN}}
      session_affinity: {value}
"""


async def test_session_affinity_is_set_by_an_apply_file_and_a_wrong_value_names_the_file_entry_and_field(
    replicas: list[FakeHF], tmp_path: Path
) -> None:
    urls = [f"{r.base}/tgi" for r in replicas]
    settings = Settings(data_dir=tmp_path, provision_defaults=False, registry_cache_seconds=0, api_keys=["admin-key"])
    async with app_client(settings) as gateway:
        gateway.headers["Authorization"] = "Bearer admin-key"

        async def apply(value: str) -> httpx.Response:
            document = {"document": apply_file(urls, value), "file": "hfgate.yaml", "env": {"HF_TOKEN": TOKEN}}
            return await gateway.post("/_hfgate/apply", json=document)

        wrong = await apply("sometimes")
        assert wrong.status_code == 400, wrong.text
        reason = wrong.json()["error"]["reason"]
        assert "hfgate.yaml:2: [endpoints.coder] [service_settings]" in reason  # the entry's line, as for every setting
        assert "field [session_affinity] is not of the expected type" in reason
        applied = await apply("false")
        assert applied.status_code == 200, applied.text
        stored = (await gateway.get("/_inference/coder")).json()["endpoints"][0]["service_settings"]
        assert stored["session_affinity"] is False
        await asyncio.gather(*(chat(gateway, "coder", said("off"), "one") for _ in range(6)))
        assert await affinity(gateway, "coder") == 0  # off: spread, not counted


async def test_a_prompt_cache_key_names_the_session_on_chat_and_responses(
    replicas: list[FakeHF], gateways: list[httpx.AsyncClient], caplog: pytest.LogCaptureFixture
) -> None:
    """OpenAI's ``prompt_cache_key`` keeps a client's requests on one replica, from either gateway, although
    each request opens a different conversation (whose hash alone would spread them)."""
    await create(gateways, "chat_completion", "agent", body([f"{r.base}/tgi" for r in replicas]))
    caplog.clear()
    with caplog.at_level(logging.INFO, logger="hfgate.access"):
        for session in SESSIONS[:6]:
            for turn, gateway in enumerate(gateways):
                payload = {"model": "agent", "messages": said(f"{session}-{turn}"), "max_tokens": 2,
                           "prompt_cache_key": session}  # fmt: skip
                assert (await gateway.post("/v1/chat/completions", json=payload)).status_code == 200
            answer = await gateways[0].post(
                "/v1/responses",
                json={"model": "agent", "input": f"hello from <{session}-r>", "max_output_tokens": 16,
                      "prompt_cache_key": session, "store": False},
            )  # fmt: skip
            assert answer.status_code == 200, answer.text
    for session in SESSIONS[:6]:
        where = served(replicas, f"<{session}-")
        assert len(where) == 1, f"{session} was served by {where}"
    logged = [r for r in caplog.records if r.name == "hfgate.access" and getattr(r, "method", "") == "POST"]
    assert {getattr(r, "affinity_key", None) for r in logged} == {"session"}
    assert {getattr(r, "session", None) for r in logged} == set(SESSIONS[:6])

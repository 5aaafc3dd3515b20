"""Graceful drain of a real ``hfgate serve`` process (SIGTERM): readiness, in-flight work, streams past
the deadline, usage, exit code and refused connections (:mod:`hfgate.process.drain`)."""

from __future__ import annotations

import signal
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest

from hfgate.config import Settings
from hfgate.registry.database import make_engine
from hfgate.registry.usage_store import UsageStore
from tests.fakes.hf_server import TOKEN, Fault
from tests.fakes.slow_chat import SlowChatHF
from tests.support.replicas import Replica

pytestmark = pytest.mark.slow  # loads a real model or starts hfgate processes: not in `make check`

DELAY = 2.5  # HFGATE_DRAIN_DELAY_SECONDS: room for three requests on a busy machine
DRAIN = 3.0  # HFGATE_DRAIN_SECONDS
CHUNK = 0.25  # seconds between two chunks of the fake's streams
WORKERS_DELAY = 4.0  # with --workers: two processes to signal and probe


@pytest.fixture
def upstream() -> Iterator[SlowChatHF]:
    server = SlowChatHF(chunk_seconds=CHUNK)
    server.start()
    try:
        yield server
    finally:
        server.stop()


def _serve(tmp_path: Path, *args: str, delay: float = DELAY, drain: float = DRAIN) -> Replica:
    env = {
        "HFGATE_DATA_DIR": str(tmp_path / "data"),
        "HFGATE_PROVISION_DEFAULTS": "false",
        "HFGATE_DRAIN_DELAY_SECONDS": str(delay),
        "HFGATE_DRAIN_SECONDS": str(drain),
        "HFGATE_USAGE_FLUSH_SECONDS": "3600",  # written at shutdown only
        "HFGATE_LOG_LEVEL": "warning",
    }
    server = Replica(env, log=tmp_path / "replica.log", args=args)
    try:
        server.wait_healthy()
    except BaseException:
        server.stop()
        raise
    return server


@pytest.fixture
def replica(tmp_path: Path) -> Iterator[Replica]:
    server = _serve(tmp_path)
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def two_workers(tmp_path: Path) -> Iterator[Replica]:
    server = _serve(tmp_path, "--workers", "2", delay=WORKERS_DELAY, drain=2 * WORKERS_DELAY)
    try:
        yield server
    finally:
        server.stop()


def _create(url: str, task: str, inference_id: str, *, upstream: str) -> None:
    body = {"service": "hugging_face", "service_settings": {"api_key": TOKEN, "url": upstream}}
    answer = httpx.put(f"{url}/_inference/{task}/{inference_id}?skip_validation=true", json=body, timeout=30)
    assert answer.status_code == 200, answer.text


class Call(threading.Thread):
    """One request in a thread of its own; ``result`` is the response (read to its end) or the error."""

    def __init__(self, method: str, url: str, **kwargs: Any) -> None:
        super().__init__(daemon=True)
        self.request = (method, url, kwargs)
        self.result: httpx.Response | Exception | None = None

    def run(self) -> None:
        method, url, kwargs = self.request
        try:
            with httpx.Client(timeout=60) as client:
                self.result = client.request(method, url, **kwargs)
        except Exception as exc:  # the test asserts on it
            self.result = exc

    def response(self) -> httpx.Response:
        self.join(60)
        assert isinstance(self.result, httpx.Response), repr(self.result)
        return self.result


def _chat_stream(url: str, *, chunks: int) -> Call:
    body = {"model": "slow-chat", "stream": True, "max_tokens": chunks, "messages": [{"role": "user", "content": "hi"}]}
    return Call("POST", f"{url}/v1/chat/completions", json=body)


def _es_stream(url: str, *, chunks: int) -> Call:
    body = {"messages": [{"role": "user", "content": "hi"}], "max_completion_tokens": chunks}
    return Call("POST", f"{url}/_inference/chat_completion/slow-chat/_stream", json=body)


def _events(response: httpx.Response) -> list[str]:
    return [line.removeprefix("data:").strip() for line in response.text.splitlines() if line.startswith("data:")]


def _wait_until(condition: Any, *, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "condition not met in time"
        time.sleep(0.02)


def test_sigterm_drains_in_flight_work_ends_late_streams_and_requests_flushes_usage_and_exits_0(
    replica: Replica, upstream: SlowChatHF, tmp_path: Path
) -> None:
    url = replica.url
    _create(url, "text_embedding", "slow-embed", upstream=f"{upstream.base}/tei")
    _create(url, "chat_completion", "slow-chat", upstream=f"{upstream.base}/tgi")
    assert httpx.post(f"{url}/_inference/text_embedding/slow-embed", json={"input": ["warm"]}).status_code == 200
    slow = Call("POST", f"{url}/_inference/text_embedding/slow-embed", json={"input": ["slow"]})
    too_slow_es = Call("POST", f"{url}/_inference/text_embedding/slow-embed", json={"input": ["too slow"]})
    too_slow_openai = Call("POST", f"{url}/v1/embeddings", json={"model": "slow-embed", "input": "too slow"})
    for call, delay in ((slow, 2.0), (too_slow_es, 60.0), (too_slow_openai, 60.0)):
        upstream.inject("/tei", Fault(delay=delay))
        call.start()
        _wait_until(lambda: not upstream.faults["/tei"])  # this call took its delay
    short = _chat_stream(url, chunks=6)  # 1.5 s: ends within the drain
    long_openai = _chat_stream(url, chunks=200)  # 50 s: outlives it
    long_es = _es_stream(url, chunks=200)
    for call in (short, long_openai, long_es):
        call.start()
    _wait_until(lambda: upstream.streams_started == 3)

    replica.process.send_signal(signal.SIGTERM)
    signalled = time.monotonic()
    ready = httpx.get(f"{url}/ready")
    assert (ready.status_code, ready.json()) == (503, {"status": "draining"})
    health = httpx.get(f"{url}/health")
    assert health.status_code == 200
    assert health.headers["connection"] == "close"  # the client's next connection goes elsewhere
    during_delay = httpx.post(f"{url}/_inference/text_embedding/slow-embed", json={"input": ["new"]})
    assert during_delay.status_code == 200, during_delay.text
    assert time.monotonic() - signalled < DELAY

    time.sleep(max(0.0, signalled + DELAY + 0.5 - time.monotonic()))
    assert replica.process.poll() is None  # still draining the streams...
    with pytest.raises(httpx.ConnectError):  # ...but refusing new connections
        httpx.get(f"{url}/health", timeout=2)

    assert slow.response().status_code == 200
    assert slow.response().json()["text_embedding"][0]["embedding"]
    finished = _events(short.response())
    assert finished[-1] == "[DONE]"
    assert len(finished) >= 6
    openai_events = _events(long_openai.response())  # read to its end: no RemoteProtocolError
    assert "drain deadline" in orjson.loads(openai_events[-1])["error"]["message"]
    assert len(openai_events) < 200
    last_es_event = long_es.response().text.strip().split("\n\n")[-1]  # ES' event envelope
    assert last_es_event.startswith("event: error\ndata: ")
    assert "drain deadline" in orjson.loads(last_es_event.split("data: ", 1)[1])["error"]["reason"]
    es_refusal = too_slow_es.response()  # no answer at the deadline: a 503 in its face's shape
    assert es_refusal.status_code == 503
    assert "drain deadline" in es_refusal.json()["error"]["reason"]
    openai_refusal = too_slow_openai.response()
    assert openai_refusal.status_code == 503
    assert "drain deadline" in openai_refusal.json()["error"]["message"]
    assert replica.process.wait(DRAIN + 10) == 0
    assert time.monotonic() - signalled < DELAY + DRAIN + 5

    engine = make_engine(Settings(data_dir=tmp_path / "data"))
    try:
        rows = UsageStore(engine).query(inference_id="slow-embed")
    finally:
        engine.dispose()
    assert sum(row.requests for row in rows if row.status == 200) == 3  # warm, slow, during the delay


def test_with_workers_sigterm_to_the_supervisor_drains_every_worker_then_refuses_connections(
    two_workers: Replica, upstream: SlowChatHF
) -> None:
    url = two_workers.url
    _create(url, "chat_completion", "slow-chat", upstream=f"{upstream.base}/tgi")
    streams = [_chat_stream(url, chunks=24) for _ in range(4)]  # 6 s each, over both workers
    for stream in streams:
        stream.start()
    _wait_until(lambda: upstream.streams_started == 4)

    two_workers.process.send_signal(signal.SIGTERM)
    signalled = time.monotonic()
    _wait_until(lambda: httpx.get(f"{url}/ready").status_code == 503, timeout=WORKERS_DELAY / 2)
    assert all(httpx.get(f"{url}/ready").json() == {"status": "draining"} for _ in range(4))  # each worker
    time.sleep(max(0.0, signalled + WORKERS_DELAY + 0.7 - time.monotonic()))
    assert two_workers.process.poll() is None  # the streams go on...
    with pytest.raises(httpx.ConnectError):  # ...and the supervisor's copy of the socket is closed too
        httpx.get(f"{url}/health", timeout=2)

    for stream in streams:
        assert _events(stream.response())[-1] == "[DONE]"
    assert two_workers.process.wait(2 * WORKERS_DELAY + 10) == 0


def test_a_second_sigint_quits_at_once_without_waiting_for_the_delay_or_streams(
    tmp_path: Path, upstream: SlowChatHF
) -> None:
    server = _serve(tmp_path, delay=60)
    try:
        _create(server.url, "chat_completion", "slow-chat", upstream=f"{upstream.base}/tgi")
        stream = _chat_stream(server.url, chunks=400)
        stream.start()
        _wait_until(lambda: upstream.streams_started == 1)
        server.process.send_signal(signal.SIGINT)
        _wait_until(lambda: httpx.get(f"{server.url}/ready").status_code == 503)
        server.process.send_signal(signal.SIGINT)
        assert server.process.wait(20) == 0  # not the 60 s of the delay
    finally:
        server.stop()

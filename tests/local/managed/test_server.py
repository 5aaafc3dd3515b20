"""The supervisor of a managed server, run on a real process that answers ``/health`` (Python's
``http.server`` over a folder holding a file of that name): it becomes ready, is restarted with back-off
when killed, its output reaches hfgate's log, and stopping it leaves no process behind. The same code
runs vLLM in ``tests/engines/test_managed_vllm.py``."""

from __future__ import annotations

import logging
import os
import signal
import sys
from pathlib import Path

import pytest

from hfgate.local.managed.command import Launch, free_port
from hfgate.local.managed.server import STARTING_RETRY_AFTER, Backoff, ManagedServer
from tests.support import waiting
from tests.support.processes import group_alive


def http_server(folder: Path) -> Launch:
    (folder / "health").write_text("ok")
    port = free_port()
    argv = (sys.executable, "-u", "-m", "http.server", str(port), "--bind", "127.0.0.1", "--directory", str(folder))
    return Launch(argv=argv, port=port, env=dict(os.environ))


async def until(server: ManagedServer, state: str, *, within: float = 20.0) -> None:
    await waiting.until(lambda: server.state == state, within=within, what=f"{state} (now {server.state})")


async def test_a_server_becomes_ready_and_its_output_reaches_the_log(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    server = ManagedServer(http_server(tmp_path), name="tiny")
    caplog.set_level(logging.INFO, logger="hfgate.local.managed")
    try:
        server.start()
        assert server.state == "loading"
        await until(server, "ready")
        await waiting.until(  # the health request's log line comes through the pipe
            lambda: any(
                "GET /health" in r.getMessage() and getattr(r, "model", None) == "tiny"
                for r in caplog.records
                if getattr(r, "event", None) == "managed.output"
            ),
            within=5,
            what="the server's log line of its health request",
        )
        assert server.describe() == {"state": "ready", "port": server.launch.port, "pid": server.pid}
    finally:
        await server.stop()


async def test_a_killed_server_is_restarted_after_its_back_off(tmp_path: Path) -> None:
    server = ManagedServer(http_server(tmp_path), name="tiny", backoff=Backoff(first=1.0))
    try:
        server.start()
        await until(server, "ready")
        first = server.pid
        assert first is not None
        os.killpg(first, signal.SIGKILL)
        await until(server, "failed")
        assert "exited with status -9" in server.reason
        assert STARTING_RETRY_AFTER < server.retry_after() <= STARTING_RETRY_AFTER + 1
        await until(server, "ready")
        assert server.pid != first
        assert server.restarts == 1
    finally:
        await server.stop()


async def test_stopping_a_server_leaves_no_process_of_its_group(tmp_path: Path) -> None:
    server = ManagedServer(http_server(tmp_path), name="tiny")
    server.start()
    await until(server, "ready")
    assert server.pid is not None
    assert group_alive(server.pid)
    await server.stop()
    assert server.state == "stopped"
    assert not group_alive(server.pid)


async def test_a_program_that_cannot_start_is_reported_and_retried(tmp_path: Path) -> None:
    missing = Launch(argv=(str(tmp_path / "no-such-python"), "-m", "vllm"), port=free_port())
    server = ManagedServer(missing, name="tiny", backoff=Backoff(first=30.0))
    try:
        server.start()
        await until(server, "failed")
        assert "could not start" in server.reason
        assert "no-such-python" in server.reason
    finally:
        await server.stop()


def test_the_back_off_doubles_up_to_its_most_and_resets_after_a_long_run() -> None:
    backoff = Backoff(first=1.0, most=4.0, reset_after=60.0)
    waits: list[float | None] = [None]
    for _ in range(4):
        waits.append(backoff.next(waits[-1], ran=2.0))
    assert waits[1:] == [1.0, 2.0, 4.0, 4.0]
    assert backoff.next(4.0, ran=61.0) == 1.0

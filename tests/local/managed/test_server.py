"""The supervisor of a managed server, run on a real process that answers ``/health`` (Python's
``http.server`` over a folder holding a file of that name): it becomes ready, is restarted with back-off
when killed, its output reaches hfgate's log, and stopping it leaves no process behind. A process that
exits saying it lacks memory (as vLLM does) is not started again until enough is free. The same code
runs vLLM in ``tests/engines/test_managed_vllm.py`` and ``test_managed_vllm_memory.py``."""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import os
import signal
import sys
from pathlib import Path

import pytest

from hfgate.errors import HostMemoryFullError
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


def test_a_server_that_dies_before_answering_backs_off_further() -> None:
    backoff = Backoff(first=1.0, most=60.0, most_unready=600.0)
    assert backoff.next(32.0, ran=2.0, answered=False) == 64.0
    assert backoff.next(512.0, ran=2.0, answered=False) == 600.0
    assert backoff.next(512.0, ran=2.0, answered=True) == 60.0


MIB = 1 << 20
VLLM_SAYS = (
    "ValueError: Available memory on node 0 (8.67/11.84 GiB) on startup is less than desired CPU memory "
    "utilization (1.0, 11.84 GiB)."
)


def exits_saying(line: str, *, free: list[int], needs: int) -> Launch:
    """A program that prints ``line`` and exits with status 1; the memory free is ``free[0]``."""
    argv = (sys.executable, "-c", f"import sys; print({line!r}); sys.exit(1)")
    return Launch(argv=argv, port=free_port(), free_memory=lambda: free[0], needs_memory=lambda: needs)


async def test_a_server_short_of_memory_is_not_started_again_until_enough_is_free(tmp_path: Path) -> None:
    free = [1000 * MIB]
    launch = exits_saying(VLLM_SAYS, free=free, needs=5000 * MIB)
    server = ManagedServer(launch, name="tiny", backoff=Backoff(first=0.01, memory_poll=0.05, memory_rise=100 * MIB))
    try:
        server.start()
        await until(server, "failed")
        assert server.short_of_memory
        shown = server.describe()
        assert shown["cause"] == "memory"
        assert shown["reason"] == (
            f"{VLLM_SAYS} (the server exited with status 1); started again once 5000 MiB are free there, or in "
            "1800 s at the latest"
        )
        free[0] = 4900 * MIB  # more, but not enough for what the start needs
        await asyncio.sleep(0.5)  # ten of its memory checks
        assert server.restarts == 0
        assert server.state == "failed"
        free[0] = 5000 * MIB
        await waiting.until(lambda: server.restarts == 1, within=10, what="a start once the memory is free")
    finally:
        await server.stop()


async def test_after_a_server_ran_short_of_memory_more_must_be_free_than_when_it_stopped(tmp_path: Path) -> None:
    free = [3000 * MIB]
    torch_says = (  # torch's CPU allocator failing (what the start needs is not known)
        "RuntimeError: [enforce fail at alloc_cpu.cpp:117] DefaultCPUAllocator: not enough memory: you tried to "
        "allocate 4294967296 bytes."
    )
    launch = exits_saying(torch_says, free=free, needs=0)
    server = ManagedServer(launch, name="tiny", backoff=Backoff(first=0.01, memory_poll=0.05, memory_rise=512 * MIB))
    try:
        server.start()
        await until(server, "failed")
        assert "started again once 3512 MiB are free there" in server.reason
        await asyncio.sleep(0.3)
        assert server.restarts == 0
        free[0] = 3512 * MIB
        await waiting.until(lambda: server.restarts == 1, within=10, what="a start once more memory is free")
    finally:
        await server.stop()


async def test_a_start_hfgates_sizing_refuses_spawns_nothing_and_shows_why(tmp_path: Path) -> None:
    def refuse() -> tuple[str, ...]:
        raise HostMemoryFullError("The managed vLLM of [tiny] needs 3584 MiB of memory")

    launch = dataclasses.replace(http_server(tmp_path), sized=refuse, free_memory=lambda: 0, needs_memory=lambda: 1)
    server = ManagedServer(launch, name="tiny", backoff=Backoff(memory_poll=0.05))
    try:
        server.start()
        await until(server, "failed")
        assert server.pid is None
        assert server.describe()["cause"] == "memory"
        assert server.reason.startswith("The managed vLLM of [tiny] needs 3584 MiB of memory; started again once")
    finally:
        await server.stop()


async def test_a_memory_reading_that_fails_leaves_the_server_to_its_longest_wait(tmp_path: Path) -> None:
    def gone() -> int:
        raise OSError("/sys/devices/system/node/node0/meminfo: no such file")

    launch = dataclasses.replace(exits_saying(VLLM_SAYS, free=[0], needs=0), free_memory=gone, needs_memory=gone)
    server = ManagedServer(launch, name="tiny", backoff=Backoff(first=0.01, memory_poll=0.05, memory_most=1.0))
    try:
        server.start()
        await until(server, "failed")
        assert server.reason.endswith("(the server exited with status 1); started again in 1 s at the latest")
        await waiting.until(lambda: server.restarts == 1, within=10, what="a start after the longest wait")
    finally:
        await server.stop()

"""One managed server process, kept running: started, watched until it answers its health route,
restarted with back-off when it dies, stopped on request.

Its output goes line by line into hfgate's log (``hfgate.local.managed``, event ``managed.output``),
with the server's name, and its exception lines are kept (:mod:`.failure`): a server that dies says why
in ``reason``. A start that fails for memory (hfgate's own sizing, or the server saying so) is not tried
again until more memory is free, or after the longest wait. The process leads a process group of its own,
so that stopping it also stops the children it starts (vLLM's engine core); on Linux it is also told to
stop when hfgate dies.
"""

from __future__ import annotations

import asyncio
import contextlib
import ctypes
import logging
import math
import os
import signal
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

import httpx

from hfgate.errors import HostMemoryFullError
from hfgate.local.managed.command import Launch
from hfgate.local.managed.failure import FailureLog

log = logging.getLogger("hfgate.local.managed")

# The page's and /ready's words for a model's state: a server starting is "loading", one waiting to restart "failed".
State = Literal["loading", "ready", "failed", "stopped"]
# Seconds of Retry-After while the server starts, beyond any wait before its restart: a start takes
# minutes on a small CPU, so a client asking again this often is neither late nor a burden.
STARTING_RETRY_AFTER = 10
_STOP_GRACE_SECONDS = 15.0
_HEALTH_INTERVAL_SECONDS = 1.0
_RELAY_DRAIN_SECONDS = 5.0
_MIB = 1 << 20


@dataclass(frozen=True, slots=True, kw_only=True)
class Backoff:
    """Waits between restarts: ``first``, doubling up to ``most`` after a server that had answered died,
    up to ``most_unready`` while it dies before answering; back to ``first`` after a run that lasted
    ``reset_after`` seconds (a server that served a while is not crash-looping). After a start that failed
    for memory, the next waits until ``memory_rise`` more bytes are free than just after it (read every
    ``memory_poll`` seconds), or ``memory_most`` seconds at most.

    Example:
        >>> Backoff(first=1, most=8).next(4.0, ran=5.0)
        8.0
        >>> Backoff(first=1, most=8, most_unready=600).next(300.0, ran=5.0, answered=False)
        600
    """

    first: float = 1.0
    most: float = 60.0
    most_unready: float = 600.0
    reset_after: float = 300.0
    memory_rise: int = 512 * _MIB
    memory_poll: float = 5.0
    memory_most: float = 1800.0

    def next(self, previous: float | None, *, ran: float, answered: bool = True) -> float:
        if previous is None or ran >= self.reset_after:
            return self.first
        return min(self.most if answered else self.most_unready, previous * 2)


class ManagedServer:
    """A server process kept running until :meth:`stop`.

    Args:
        launch: its command, environment and port.
        name: what the logs call it (the model it serves).
        backoff: the waits between restarts.
    """

    def __init__(self, launch: Launch, *, name: str, backoff: Backoff | None = None) -> None:
        self.launch = launch
        self.name = name
        self.backoff = backoff or Backoff()
        self.state: State = "loading"
        self.reason = ""
        self.short_of_memory = False
        """Whether its last start failed for memory (its requests answer 507 meanwhile)."""
        self.pid: int | None = None
        self.restarts = 0
        self._retry_at = 0.0
        self._answered = False
        self._stopping = False
        self._process: asyncio.subprocess.Process | None = None
        self._task: asyncio.Task[None] | None = None
        self._spawned = asyncio.Event()
        self._failure = FailureLog()

    @property
    def url(self) -> str:
        return self.launch.url

    def start(self) -> None:
        """Start the process and its supervision on the running loop; returns at once."""
        if self._task is None:
            self._task = asyncio.get_running_loop().create_task(self._supervise())

    async def spawned(self) -> None:
        """Wait until the process was first started (or failed to start): its pid is known then."""
        await self._spawned.wait()

    def retry_after(self) -> int:
        """Whole seconds a client should wait before asking again (the ``Retry-After`` header)."""
        waiting = max(0.0, self._retry_at - time.monotonic()) if self.state == "failed" else 0.0
        return math.ceil(waiting) + STARTING_RETRY_AFTER

    def describe(self) -> dict[str, object]:
        """Its state for ``GET _inference`` (``model_state``)."""
        shown: dict[str, object] = {"state": self.state, "port": self.launch.port}
        shown |= {"pid": self.pid} if self.pid is not None else {}
        shown |= {"restarts": self.restarts} if self.restarts else {}
        shown |= {"reason": self.reason} if self.reason else {}
        return shown | ({"cause": "memory"} if self.short_of_memory and self.state == "failed" else {})

    async def stop(self) -> None:
        """Stop the process (SIGTERM to its group, SIGKILL after a grace period) and its supervision."""
        self._stopping = True
        process = self._process
        if process is not None and process.returncode is None:
            _signal_group(process.pid, signal.SIGTERM)
            try:
                await asyncio.wait_for(process.wait(), _STOP_GRACE_SECONDS)
            except TimeoutError:
                _signal_group(process.pid, signal.SIGKILL)
        if process is not None:
            _signal_group(process.pid, signal.SIGKILL)  # children that outlived their parent
        if self._task is not None and process is not None and self.state in ("loading", "ready"):
            # Its run ends by itself now, once the output is read to its end: a loop closed while the pipe
            # is still open fails to close (uvloop's EBUSY).
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(asyncio.shield(self._task), _RELAY_DRAIN_SECONDS + 1)
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        self.state = "stopped"

    async def _supervise(self) -> None:
        delay: float | None = None
        while True:  # until stop() cancels it
            began = time.monotonic()
            code = await self._run_once()
            if self._stopping:
                return
            delay = self.backoff.next(delay, ran=time.monotonic() - began, answered=self._answered)
            await self._after_failure(code, delay)
            self.restarts += 1

    async def _after_failure(self, code: int | None, delay: float) -> None:
        """Record why the server stopped, then wait before its next start (for memory, until enough is free)."""
        said = self._failure.reason()
        server_said_memory = self._failure.memory()
        self.short_of_memory = self.short_of_memory or server_said_memory
        exited = "could not start" if code is None else f"the server exited with status {code}"
        why = self.reason if code is None else (f"{said} ({exited})" if said else exited)
        self.state = "failed"
        log.warning(
            "managed server exited",
            extra={"event": "managed.exit", "model": self.name, "status": code, "reason": why},
        )
        if self.short_of_memory:
            await self._wait_for_memory(why, server_said=server_said_memory)
            return
        self.reason = f"{why}; restarting in {delay:.0f} s"
        self._retry_at = time.monotonic() + delay
        await asyncio.sleep(delay)

    async def _wait_for_memory(self, why: str, *, server_said: bool) -> None:
        """Wait until a start could fit: what the start needs is free (a share given by hand, hfgate's sizing)
        and, when the server itself ran short, ``memory_rise`` more than just after it stopped; or until
        ``memory_most`` seconds passed (what else the server needs is not known)."""
        backoff, read = self.backoff, self.launch.free_memory
        self._retry_at = time.monotonic() + backoff.memory_most
        free = _bytes(read)
        after_it = free + backoff.memory_rise if free is not None and server_said else 0
        target = max(_bytes(self.launch.needs_memory) or 0, after_it) if free is not None else 0
        when = f"started again once {target // _MIB} MiB are free there, or " if target else "started again "
        self.reason = f"{why}; {when}in {backoff.memory_most:.0f} s at the latest"
        while time.monotonic() < self._retry_at:
            await asyncio.sleep(min(backoff.memory_poll, max(0.0, self._retry_at - time.monotonic())))
            if target and (_bytes(read) or 0) >= target:
                return

    async def _run_once(self) -> int | None:
        """Run the process until it exits; its exit status (``None`` if it could not be started)."""
        self._failure, self._answered, self.short_of_memory = FailureLog(), False, False
        try:
            command = self.launch.command()
            process = await _spawn(self.launch, command)
        except HostMemoryFullError as exc:
            self.reason, self.short_of_memory = exc.reason, True
            log.error("managed server does not fit", extra={"event": "managed.memory", "model": self.name})
            return None
        except (OSError, ValueError) as exc:  # ValueError: a weights file that is not safetensors
            self.reason = f"could not start {self.launch.argv[0]}: {exc}"
            log.error("managed server did not start", extra={"event": "managed.fail", "model": self.name})
            return None
        finally:
            self._spawned.set()
        self.state, self.reason = "loading", ""
        self._process, self.pid = process, process.pid
        sized = command[len(self.launch.argv) :]
        log.info(
            "managed server started",
            extra={"event": "managed.start", "model": self.name, "pid": process.pid, "sized": sized},
        )
        relay = asyncio.create_task(self._relay(process))
        watch = asyncio.create_task(self._until_healthy(process))
        try:
            code = await process.wait()
        finally:
            watch.cancel()
            _signal_group(process.pid, signal.SIGKILL)  # its children must not outlive it
            # A grandchild that escaped the group may hold the pipe open: stop relaying after a while.
            with contextlib.suppress(asyncio.CancelledError, TimeoutError):
                await asyncio.wait_for(relay, _RELAY_DRAIN_SECONDS)
        return code

    async def _relay(self, process: asyncio.subprocess.Process) -> None:
        assert process.stdout is not None
        async for line in process.stdout:
            text = line.decode(errors="replace").rstrip()
            self._failure.add(text)
            log.info(text, extra={"event": "managed.output", "model": self.name, "pid": process.pid})

    async def _until_healthy(self, process: asyncio.subprocess.Process) -> None:
        async with httpx.AsyncClient(timeout=2.0) as http:
            while process.returncode is None:
                with contextlib.suppress(httpx.TransportError):
                    if (await http.get(self.url + self.launch.health)).status_code == 200:
                        self.state, self.reason, self._answered = "ready", "", True
                        log.info("managed server ready", extra={"event": "managed.ready", "model": self.name})
                        return
                await asyncio.sleep(_HEALTH_INTERVAL_SECONDS)


def _bytes(read: Callable[[], int] | None) -> int | None:
    """What ``read`` says; ``None`` when it cannot say (no reader, or a file it reads is gone)."""
    try:
        return read() if read is not None else None
    except (OSError, ValueError):
        return None


async def _spawn(launch: Launch, command: tuple[str, ...]) -> asyncio.subprocess.Process:
    return await asyncio.create_subprocess_exec(
        *command,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
        env=launch.env,
        start_new_session=True,
        preexec_fn=_stop_with_parent() if sys.platform == "linux" else None,
        limit=1 << 20,
    )


def _stop_with_parent() -> Callable[[], None]:
    """What the child runs before its program: SIGTERM to it when the thread that started it ends
    (hfgate's event loop, or hfgate killed). The C function is looked up here, before the fork: the
    child of a threaded process should do as little as possible before ``exec``."""
    prctl = ctypes.CDLL(None, use_errno=True).prctl
    pr_set_pdeathsig = 1
    return lambda: prctl(pr_set_pdeathsig, signal.SIGTERM)


def _signal_group(pid: int, signum: int) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pid, signum)

"""Running an engine measurement, or an ONNX export, in a child process (the parent's side; the
measurement's child is ``worker``, an export's is its kind's ``onnx_export_worker``).

A child, because the losers' weights (and torch or the ONNX exporter, when they lose) must never stay
in the server's memory, and a crash of one engine must not take the server down. The child writes its
record (or export) itself; what comes back here is only whether it did. Both run offline.
"""

from __future__ import annotations

import atexit
import contextlib
import logging
import os
import subprocess
import sys
from pathlib import Path

from hfgate.errors import HfGateError

log = logging.getLogger("hfgate.local")


def run_measure_worker(module: str, path: Path, record: Path, *, args: list[str], what: str, timeout: int) -> None:
    """Run ``python -m module path record *args`` offline, within ``timeout`` seconds.

    Args:
        module: the worker module (``hfgate.local.embedding.engine_measure_worker``…).
        path: the model's directory.
        record: where the worker writes its choice.
        args: the worker's options.
        what: names the engines in messages (``embedding``, ``generation``).

    Raises:
        HfGateError: the worker timed out or failed (its last line of stderr says why).
    """
    log.info(f"measuring {what} engines", extra={"event": "model.engine.measure", "model": str(path)})
    record.parent.mkdir(parents=True, exist_ok=True)
    command = [sys.executable, "-m", module, str(path), str(record), *args]
    child = subprocess.Popen(command, env=_offline(), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    _RUNNING.add(child)
    _yield_cpu(child.pid)
    try:
        _, stderr = child.communicate(timeout=timeout)
    except subprocess.TimeoutExpired as exc:
        child.kill()
        child.communicate()
        raise HfGateError(f"Measuring the {what} engines of [{path}] took over [{timeout}s]") from exc
    finally:
        _RUNNING.discard(child)
    if child.returncode != 0:
        raise HfGateError(f"Measuring the {what} engines of [{path}] failed: {_last_line(stderr)}")


def run_export_worker(
    module: str, model_dir: Path, target: Path, *args: str, made: Path, what: str, into: str = "ONNX"
) -> None:
    """Run ``python -m module model_dir target *args`` offline: an export (to ONNX, or ``into`` another format),
    which must leave ``made`` (the file, or the exported directory's ``model.onnx``); ``what`` names it in the
    log (``model``…).

    Raises:
        HfGateError: the export timed out, failed or wrote nothing (its last line of stderr says why).
    """
    log.info(f"exporting {what} to {into}", extra={"event": "model.export.start", "model": str(model_dir)})
    command = [sys.executable, "-m", module, str(model_dir), str(target), *args]
    try:
        done = subprocess.run(command, env=_offline(), capture_output=True, text=True, timeout=_EXPORT_SECONDS)
    except subprocess.TimeoutExpired as exc:
        raise HfGateError(f"Exporting [{model_dir}] to {into} took over [{_EXPORT_SECONDS}s]") from exc
    if done.returncode != 0 or not made.is_file():
        raise HfGateError(f"Exporting [{model_dir}] to {into} failed: {_last_line(done.stderr)}")


_EXPORT_SECONDS = 900


def _offline() -> dict[str, str]:
    return {**os.environ, "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1"}


def _last_line(stderr: str) -> str:
    return (stderr.strip().splitlines() or ["no output"])[-1]


def _yield_cpu(pid: int) -> None:
    """Lower the child's CPU priority (its exports inherit it): it runs while the server serves and loads
    models, which must not wait for it; an engine's speed is its fastest round, so time given up to the
    server slows the measurement without skewing it."""
    with contextlib.suppress(OSError):  # gone already, or not allowed: it runs at the server's priority
        os.setpriority(os.PRIO_PROCESS, pid, _NICE)


_NICE = 10

# Measurements run in the background while the server serves (``measuring.switch``): a server that stops
# stops them too, rather than leaving children timing engines with nobody to tell.
_RUNNING: set[subprocess.Popen[str]] = set()


@atexit.register
def _stop_running() -> None:
    for child in list(_RUNNING):
        child.kill()

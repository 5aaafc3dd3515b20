"""Another process holding memory, for tests of what hfgate does on a busy machine: a child Python that
allocates the bytes and writes one byte in every page (so that the kernel must back them all), then waits
until it is killed."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

_HOG = (
    "import sys, time\n"
    "block = memoryview(bytearray(int(sys.argv[1])))\n"
    "block[::4096] = b'\\x01' * len(range(0, len(block), 4096))\n"
    "print('held', flush=True)\n"
    "time.sleep(3600)\n"
)


def meminfo(name: str) -> int:
    """A field of ``/proc/meminfo``, in bytes (``MemTotal``, ``MemAvailable``)."""
    line = next(line for line in Path("/proc/meminfo").read_text().splitlines() if line.startswith(f"{name}:"))
    return int(line.split()[1]) * 1024


@contextmanager
def holding(size: int) -> Iterator[None]:
    """A process holding ``size`` bytes, touched, until the block ends (then killed)."""
    process = subprocess.Popen([sys.executable, "-c", _HOG, str(size)], stdout=subprocess.PIPE, text=True)
    try:
        assert process.stdout is not None
        assert process.stdout.readline().strip() == "held", "the memory hog did not start"
        yield
    finally:
        process.kill()
        process.wait()
        if process.stdout is not None:
            process.stdout.close()

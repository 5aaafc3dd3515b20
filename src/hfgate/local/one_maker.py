"""One process at a time makes a model's derived files or measures its engines, however many load it.

``hfgate serve --workers N`` (or several servers on one data directory) loads the same models in every
process at the same moment. Without a lock each would export, quantize and measure the same model at
once, on the same cores and into the same files: ONNX Runtime's quantizer writes a scratch file of a
fixed name beside its input, and a decoder's export cannot rename its directory onto one that another
process has just put there. With it, one process makes the file while the others wait, then find it.

The lock is ``filelock``'s, in a ``<name>.lock`` file beside what is made: an OS lock that its holder's
death lets go, so a crashed process never leaves the others waiting. The holder removes the file before
letting go (filelock's waiters see it gone and lock a new one), so nothing stays beside what was made.
Locks of one path do not nest.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from filelock import FileLock


@contextmanager
def one_maker(path: Path) -> Iterator[None]:
    """Hold the lock on making ``path`` (a file or directory) for the ``with`` block.

    Whoever holds it looks again for ``path`` before making it: another process may have made it while
    this one waited.

    Example:
        >>> with one_maker(target):
        ...     if not target.is_file():
        ...         make(target)
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    lock = path.with_name(f"{path.name}.lock")
    with FileLock(lock):
        try:
            yield
        finally:
            lock.unlink(missing_ok=True)


def made_once(path: Path, make: Callable[[], object], *, lock: Path | None = None) -> Path:
    """``path``, made by ``make()`` unless it is there: under the lock on ``lock`` (default ``path``: a
    file made from another locks on that one), and looked for again once the lock is held.

    Example:
        >>> made_once(target, lambda: export(model_dir, target))
    """
    if not path.exists():
        with one_maker(lock or path):
            if not path.exists():
                make()
    return path

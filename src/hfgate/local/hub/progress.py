"""Bytes done of a download, fed by ``huggingface_hub``'s progress bars.

``hf_hub_download(tqdm_class=…)`` builds its bar with ``tqdm_class(unit=, unit_scale=, total=,
initial=, desc=)`` when the class is not huggingface_hub's own tqdm, enters it as a context manager and
calls ``update(n)`` per chunk (huggingface_hub ``utils/tqdm.py`` ``_create_progress_bar``,
``file_download.py`` ``http_get``). ``initial`` is what an ``.incomplete`` file already held: a resumed
download counts from there.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from types import TracebackType
from typing import Any


@dataclass(frozen=True, slots=True)
class Bytes:
    done: int
    total: int


class Progress:
    """Bytes of one model's files: each file's size known beforehand, its bytes counted as they come."""

    def __init__(self, sizes: Mapping[str, int]) -> None:
        self._sizes = dict(sizes)
        self._done = dict.fromkeys(sizes, 0)
        self._lock = threading.Lock()

    def now(self) -> Bytes:
        with self._lock:
            return Bytes(done=sum(self._done.values()), total=sum(self._sizes.values()))

    def finished(self, name: str) -> None:
        """``name`` is in the cache (fetched now, or already there: no bar was shown)."""
        with self._lock:
            self._done[name] = self._sizes.get(name, self._done.get(name, 0))

    def bar(self, name: str) -> type[Any]:
        """A class to pass as ``tqdm_class`` while ``name`` downloads."""
        return _bar_class(lambda n, absolute=False: self._add(name, n, absolute=absolute))

    def _add(self, name: str, n: int, *, absolute: bool) -> None:
        with self._lock:
            self._done[name] = n if absolute else self._done.get(name, 0) + n


def _bar_class(add: Callable[..., None]) -> type[Any]:
    class _Bar:
        def __init__(self, *, initial: int = 0, **_: Any) -> None:
            add(initial, absolute=True)

        def update(self, n: float | None = 1) -> None:
            add(int(n or 0))

        def close(self) -> None:
            """Nothing to close: the counts stay in the ``Progress``."""

        def __enter__(self) -> _Bar:
            return self

        def __exit__(self, *exc: type[BaseException] | BaseException | TracebackType | None) -> None:
            self.close()

    return _Bar

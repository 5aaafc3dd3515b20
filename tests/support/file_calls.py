"""Counting a block's file-system calls: Python's audit events for ``open``, directory listings and globs
(``sys.addaudithook``) and ``os.stat`` (which pathlib's ``exists``/``is_dir`` call and no audit event
reports)."""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache
from typing import Any

FILE_EVENTS = frozenset({"open", "os.listdir", "os.scandir", "glob.glob", "os.walk"})


class FileCalls:
    """The file-system calls made while ``counting`` (a context manager); the audit hook stays
    installed for the process (Python has no way to remove one) and records nothing otherwise."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, str]] = []
        self._on = False
        sys.addaudithook(self._audit)

    def _audit(self, event: str, args: tuple[Any, ...]) -> None:
        if self._on and event in FILE_EVENTS:
            self.calls.append((event, str(args[0] if args else "")))

    @contextmanager
    def counting(self) -> Iterator[list[tuple[str, str]]]:
        real_stat = os.stat

        def counted_stat(path: Any, *args: Any, **kwargs: Any) -> os.stat_result:
            if self._on:
                self.calls.append(("os.stat", str(path)))
            return real_stat(path, *args, **kwargs)

        os.stat = counted_stat
        self.calls.clear()
        self._on = True
        try:
            yield self.calls
        finally:
            self._on = False
            os.stat = real_stat


@cache
def file_calls() -> FileCalls:
    """The process's one counter (an audit hook cannot be removed: one is installed, once)."""
    return FileCalls()

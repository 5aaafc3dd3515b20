"""Why a managed server stopped, read from its own output: the exception it died of, and whether it was
memory.

vLLM logs a failed start as tracebacks in its processes, each line behind a prefix such as ``(Worker
pid=11713) ERROR 11-29 07:34:13 [multiproc_executor.py:953]``; the worker's ``ValueError: Available memory
on node 0 …`` comes first, then wrappers that point back at it ("Exception: WorkerProc initialization
failed … See stack trace for root cause", "RuntimeError: Engine core initialization failed. See root cause
above"). The reason is the last exception line that does not point elsewhere.
"""

from __future__ import annotations

import re
from collections import deque

_PREFIX = re.compile(
    r"^(?:\(\S+ pid=\d+\)\s+)?"
    r"(?:(?P<level>DEBUG|INFO|WARNING|ERROR|CRITICAL)\s+\d\d-\d\d \d\d:\d\d:\d\d(?:\.\d+)?\s+\[[^\]]*\]\s+)?"
)
# A line that reports an error without a traceback: logged at ERROR or CRITICAL, or starting so.
_ERROR_START = re.compile(r"^(?:error|fatal)\b", re.IGNORECASE)
_EXCEPTION = re.compile(r"^(?:[A-Za-z_][\w.]*\.)?[A-Z]\w*(?:Error|Exception|Exit): \S")
_POINTS_ELSEWHERE = re.compile(r"root cause", re.IGNORECASE)
_MEMORY = re.compile(
    r"available memory|less than desired|out of memory|MemoryError|cannot allocate memory|not enough memory",
    re.IGNORECASE,
)
_SHOWN_CHARS = 600


class FailureLog:
    """The lines of one run of a server that may say why it stopped.

    Example:
        >>> log = FailureLog()
        >>> log.add("(Worker pid=7) ERROR 11-29 07:34:13 [x.py:9] ValueError: Available memory on node 0 is low")
        >>> log.add("RuntimeError: Engine core initialization failed. See root cause above.")
        >>> log.reason(), log.memory()
        ('ValueError: Available memory on node 0 is low', True)
    """

    def __init__(self) -> None:
        self._exceptions: deque[str] = deque(maxlen=8)
        self._errors: deque[str] = deque(maxlen=2)

    def add(self, line: str) -> None:
        """One line of the server's output (stdout and stderr together)."""
        prefix = _PREFIX.match(line.strip())
        level = prefix.group("level") if prefix else None
        text = line.strip()[prefix.end() if prefix else 0 :]
        if _EXCEPTION.match(text) and not _POINTS_ELSEWHERE.search(text):
            self._exceptions.append(text)
        elif text and (level in ("ERROR", "CRITICAL") or _ERROR_START.match(text)):
            self._errors.append(text)

    def reason(self) -> str | None:
        """The server's own words for its failure: its last exception (a memory one first), else its last
        line logged as an error; ``None`` when it said nothing of the kind (killed, say)."""
        memory = [line for line in (*self._errors, *self._exceptions) if _MEMORY.search(line)]
        said = memory or list(self._exceptions) or list(self._errors)
        if not said:
            return None
        chosen = said[-1]
        return chosen if len(chosen) <= _SHOWN_CHARS else chosen[: _SHOWN_CHARS - 1] + "…"

    def memory(self) -> bool:
        """Whether the server said it lacked memory."""
        return any(_MEMORY.search(line) for line in (*self._exceptions, *self._errors))

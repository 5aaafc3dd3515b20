"""Stop strings: text is held back while it could still turn into one, so a stop never reaches the user."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(slots=True)
class StopMatcher:
    """Watches generated text for stop strings.

    Text is released only once no stop string can start inside it; when a stop string is complete, the
    text before it is released and the rest (the stop string included) is dropped. When several are,
    the one that completes first wins, so the output is the same however the text is split into tokens.

    Example:
        >>> matcher = StopMatcher(("\\nUser:",))
        >>> matcher.feed("Hi!\\nUs")
        ('Hi!', False)
        >>> matcher.feed("er: ...")
        ('', True)
    """

    stops: tuple[str, ...]
    matched: str | None = field(default=None, init=False)
    """The stop string met, once one is."""
    _pending: str = field(default="", init=False)

    def feed(self, text: str) -> tuple[str, bool]:
        """Add ``text``; answer what may be shown now, and whether a stop string was met."""
        self._pending += text
        cut = self._first_stop()
        if cut is not None:
            released, self._pending = self._pending[:cut], ""
            return released, True
        keep = self._held_back()
        released = self._pending[: len(self._pending) - keep]
        self._pending = self._pending[len(released) :]
        return released, False

    def flush(self) -> str:
        """The text held back, once generation has ended for another reason."""
        released, self._pending = self._pending, ""
        return released

    def _first_stop(self) -> int | None:
        """Where the stop string that is complete first begins (so token boundaries never matter)."""
        found = [(i + len(s), i, s) for s, i in ((s, self._pending.find(s)) for s in self.stops if s) if i >= 0]
        if not found:
            return None
        _, start, self.matched = min(found)
        return start

    def _held_back(self) -> int:
        """Length of the longest tail of the pending text that begins some stop string."""
        longest = 0
        for stop in self.stops:
            for size in range(min(len(stop) - 1, len(self._pending)), longest, -1):
                if self._pending.endswith(stop[:size]):
                    longest = size
                    break
        return longest

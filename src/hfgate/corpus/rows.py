"""One input row as the job sees it, and the rows it refuses (counted, reported, never skipped silently)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True, slots=True)
class Row:
    """A row to embed: its id (as a string) and its text."""

    id: str
    text: str


@dataclass(frozen=True, slots=True)
class BadRecord:
    """A row that could not even be parsed (a JSONL line that is not JSON), and why."""

    reason: str


@dataclass(frozen=True, slots=True, kw_only=True)
class Reject:
    """A row or a file the job could not use, and why."""

    id: str
    source: str
    reason: str

    def as_json(self) -> dict[str, str]:
        return {"id": self.id, "source": self.source, "reason": self.reason}


def check_row(record: Any, *, source: str, position: int | None, columns: tuple[str, str]) -> Row | Reject:
    """``record`` (a mapping) as a :class:`Row`, or the reason it cannot be one.

    Example:
        >>> check_row({"id": 7, "text": 3}, source="a.jsonl", position=0, columns=("id", "text")).reason
        'the text field [text] is not a string (int)'
    """
    id_column, text_column = columns
    where = "(no id)" if position is None else f"#{position}"
    if isinstance(record, BadRecord):
        return Reject(id=where, source=source, reason=record.reason)
    if not isinstance(record, dict):
        return Reject(id=where, source=source, reason=f"the row is not an object ({type(record).__name__})")
    raw_id = record.get(id_column)
    if raw_id is None or raw_id == "":
        return Reject(id=where, source=source, reason=f"the row has no id field [{id_column}]")
    row_id = str(raw_id)
    text = record.get(text_column)
    if text is None or text == "":
        return Reject(id=row_id, source=source, reason=f"the row has no text field [{text_column}]")
    if not isinstance(text, str):
        return Reject(
            id=row_id, source=source, reason=f"the text field [{text_column}] is not a string ({type(text).__name__})"
        )
    if not text.strip():
        return Reject(id=row_id, source=source, reason=f"the text field [{text_column}] is blank")
    return Row(row_id, text)

"""The corpus's files, cut into parts of rows, and the rows of one part.

JSONL is read line by line (a line that is not JSON is one rejected row, not a failed file); CSV
columns are all read as text; Parquet through pyarrow. A file that cannot be read at all is one
rejected entry naming the file.
"""

from __future__ import annotations

import csv
from collections.abc import Iterator
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import orjson

from hfgate.corpus.rows import BadRecord, Reject
from hfgate.errors import BadRequestError

SUFFIXES = {".jsonl": "jsonl", ".ndjson": "jsonl", ".json": "jsonl", ".csv": "csv", ".parquet": "parquet"}


@dataclass(frozen=True, slots=True, kw_only=True)
class Part:
    """Rows ``start`` to ``stop`` of one input file; ``key`` names it in the manifest and the output."""

    path: Path
    name: str
    index: int
    start: int
    stop: int

    @property
    def key(self) -> str:
        return f"{self.name}#{self.index:05d}"


def input_files(root: Path) -> list[Path]:
    """``root`` itself, or the corpus files under it in a stable order."""
    if root.is_file():
        return [root]
    if not root.is_dir():
        raise BadRequestError(f"[INPUT] {root} does not exist; give a JSONL, CSV or Parquet file or a folder of them")
    found = sorted(p for p in root.rglob("*") if p.is_file() and p.suffix.lower() in SUFFIXES)
    if not found:
        raise BadRequestError(f"[INPUT] {root} holds no .jsonl, .csv or .parquet file")
    return found


def plan_parts(root: Path, *, part_rows: int) -> tuple[list[Part], list[Reject]]:
    """Every part of every file, and a reject for each file that cannot be read."""
    parts: list[Part] = []
    rejects: list[Reject] = []
    for path in input_files(root):
        name = str(path.relative_to(root)) if root.is_dir() else path.name
        try:
            count = _row_count(path)
        except (OSError, ValueError) as exc:
            rejects.append(Reject(id="*", source=name, reason=f"the file cannot be read: {exc}"))
            continue
        for index, start in enumerate(range(0, count, part_rows)):
            parts.append(Part(path=path, name=name, index=index, start=start, stop=min(count, start + part_rows)))
    return parts, rejects


def read_part(part: Part) -> Iterator[tuple[int, Any]]:
    """``(row number, record)`` for each row of ``part``; a line that is not JSON is a :class:`BadRecord`."""
    rows = _rows(part.path)
    for position in range(part.start, part.stop):
        yield position, rows[position]


def _kind(path: Path) -> str:
    kind = SUFFIXES.get(path.suffix.lower())
    if kind is None:
        raise ValueError(f"unknown file type {path.suffix!r}; use .jsonl, .csv or .parquet")
    return kind


def _row_count(path: Path) -> int:
    return len(_rows(path))


@lru_cache(maxsize=2)
def _rows(path: Path) -> list[Any]:
    kind = _kind(path)
    if kind == "jsonl":
        return [parse_json_line(line) for line in path.read_bytes().splitlines() if line.strip()]
    if kind == "csv":
        # Every CSV field is text, as written: an id such as 007 stays 007.
        with path.open(newline="", encoding="utf-8") as source:
            return list(csv.DictReader(source))
    from pyarrow import parquet

    rows: list[Any] = parquet.read_table(path).to_pylist()
    return rows


def parse_json_line(line: bytes | str) -> Any:
    """One JSONL line as a value, or a :class:`BadRecord` saying why it is not JSON."""
    try:
        return orjson.loads(line)
    except orjson.JSONDecodeError as exc:
        return BadRecord(f"the line is not JSON: {exc}")

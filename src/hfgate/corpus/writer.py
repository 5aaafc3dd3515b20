"""The job's output: one Parquet file per part (id, chunk, offsets, text, embedding) and its rejects."""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from hfgate.corpus.rows import Reject


@dataclass(frozen=True, slots=True, kw_only=True)
class ChunkRow:
    """One embedded chunk of one input row."""

    id: str
    chunk: int
    start_offset: int
    end_offset: int
    text: str
    embedding: list[float]


def safe_name(key: str) -> str:
    """A part's (or input file's) key as a file name: anything but ``A-Za-z0-9._-`` becomes ``_``."""
    return re.sub(r"[^A-Za-z0-9._-]+", "_", key)


def part_file(output: Path, key: str) -> Path:
    """Where part ``key``'s vectors go: a file name made of the input's name and the part number."""
    return output / "parts" / (safe_name(key) + ".parquet")


def rejects_file(output: Path, key: str) -> Path:
    """Where the rows part (or file) ``key`` refused are listed."""
    return output / "rejects" / (safe_name(key) + ".jsonl")


def read_rejects(output: Path) -> list[Reject]:
    """Every part's rejects, this run's and earlier runs', in the order of the parts' names."""
    found: list[Reject] = []
    for path in sorted((output / "rejects").glob("*.jsonl")):
        found += [Reject(**json.loads(line)) for line in path.read_text().splitlines() if line]
    return found


def chunk_table(rows: list[ChunkRow], *, dimensions: int) -> Any:
    """``rows`` as a pyarrow table; ``embedding`` is a fixed-size list of ``dimensions`` float32."""
    import pyarrow as pa

    schema = pa.schema(
        [
            ("id", pa.string()),
            ("chunk", pa.int32()),
            ("start_offset", pa.int32()),
            ("end_offset", pa.int32()),
            ("text", pa.string()),
            ("embedding", pa.list_(pa.float32(), dimensions)),
        ]
    )
    return pa.Table.from_pydict({name: [getattr(row, name) for row in rows] for name in schema.names}, schema=schema)


def write_part(path: Path, rows: list[ChunkRow], *, dimensions: int) -> None:
    """Write ``rows`` as Parquet at ``path``, atomically (a temporary file renamed into place)."""
    from pyarrow import parquet

    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(path.name + ".tmp")
    parquet.write_table(chunk_table(rows, dimensions=dimensions), temporary)
    with temporary.open("rb") as written:
        os.fsync(written.fileno())
    os.replace(temporary, path)


def write_rejects(path: Path, rejects: list[Reject]) -> None:
    """The rejected rows, one JSON object a line (``id``, ``source``, ``reason``)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(json.dumps(r.as_json(), ensure_ascii=False) + "\n" for r in rejects))

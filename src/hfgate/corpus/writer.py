"""The job's output: one Parquet file per part (id, chunk, offsets, text, embedding) and its rejects."""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from hfgate.corpus.rows import Reject

if TYPE_CHECKING:
    import numpy as np
    from numpy.typing import NDArray


@dataclass(frozen=True, slots=True, kw_only=True)
class ChunkRow:
    """One embedded chunk of one input row; its vector as a numpy array (float32 as the Parquet file
    holds it, or float64 as a remote server sent it), so a cached one goes from the cache's bytes to
    the file without a Python float per value."""

    id: str
    chunk: int
    start_offset: int
    end_offset: int
    text: str
    embedding: NDArray[np.float32] | NDArray[np.float64]


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
    """``rows`` as a pyarrow table; ``embedding`` is a fixed-size list of ``dimensions`` float32, made
    from one numpy buffer of every row's vector."""
    import numpy as np
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
    # np.stack refuses vectors of different sizes; the shape check, a size other than the recorded one.
    # float64 vectors (a remote server's) become float32 here, in one conversion for the whole part.
    matrix = np.stack([row.embedding for row in rows]) if rows else np.empty((0, dimensions), dtype=np.float32)
    if matrix.shape[1] != dimensions:
        raise ValueError(f"vectors of {matrix.shape[1]} dimensions, not the {dimensions} recorded")
    flat = matrix.astype(np.float32, copy=False).reshape(-1)
    columns = [
        pa.array([getattr(row, name) for row in rows], type=schema.field(name).type) for name in schema.names[:5]
    ]
    embeddings = pa.FixedSizeListArray.from_arrays(pa.array(flat, type=pa.float32()), dimensions)
    return pa.Table.from_arrays([*columns, embeddings], schema=schema)


def write_part(path: Path, rows: list[ChunkRow], *, dimensions: int) -> None:
    """Write ``rows`` as Parquet at ``path``, atomically (a temporary file renamed into place)."""
    from pyarrow import parquet

    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(path.name + ".tmp")
    # Dictionary encoding suits ids and texts that repeat, never the vectors: trying it on them doubled
    # the write's time for nothing.
    table = chunk_table(rows, dimensions=dimensions)
    parquet.write_table(table, temporary, use_dictionary=[n for n in table.column_names if n != "embedding"])
    with temporary.open("rb") as written:
        os.fsync(written.fileno())
    os.replace(temporary, path)


def write_rejects(path: Path, rejects: list[Reject]) -> None:
    """The rejected rows, one JSON object a line (``id``, ``source``, ``reason``)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(json.dumps(r.as_json(), ensure_ascii=False) + "\n" for r in rejects))

"""The job's record of finished parts, in the output folder: what makes a killed job resumable.

A part's Parquet file is written under a temporary name and renamed into place; only then is the part
recorded here (the manifest itself is replaced atomically). A job killed at any moment therefore
leaves each part either recorded and complete, or not recorded, and redone whole under the same file
name: no duplicate and no missing row.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from hfgate.errors import BadRequestError

NAME = "_hfgate_job.json"


@dataclass(slots=True)
class Manifest:
    """The job's fingerprint and its finished parts (key → counts)."""

    path: Path
    fingerprint: dict[str, Any]
    parts: dict[str, dict[str, int]] = field(default_factory=dict)

    @classmethod
    def open(cls, output: Path, fingerprint: dict[str, Any]) -> Manifest:
        """The manifest of ``output``: new, or the one a previous run of the same job left.

        Raises:
            BadRequestError: ``output`` holds another job's results (a different endpoint, model,
                chunking or columns): its vectors would not match the new ones.
        """
        output.mkdir(parents=True, exist_ok=True)
        path = output / NAME
        if not path.exists():
            return cls(path, fingerprint)
        stored = json.loads(path.read_text())
        changed = sorted(
            k
            for k in fingerprint.keys() | stored["fingerprint"].keys()
            if fingerprint.get(k) != stored["fingerprint"].get(k)
        )
        if changed:
            raise BadRequestError(
                f"[--output] {output} holds results of another job: {', '.join(changed)} changed since it was "
                "started, so the new vectors would not match the stored ones; give a new --output folder, "
                "or delete this one to start over"
            )
        return cls(path, fingerprint, {k: dict(v) for k, v in stored["parts"].items()})

    def done(self, key: str) -> bool:
        return key in self.parts

    def record(self, key: str, counts: dict[str, int]) -> None:
        """Mark part ``key`` finished, durably, after its files are in place."""
        self.parts[key] = counts
        write_atomically(
            self.path, json.dumps({"fingerprint": self.fingerprint, "parts": self.parts}, indent=1).encode()
        )


def write_atomically(path: Path, data: bytes) -> None:
    """``path`` holds ``data`` afterwards, or what it held before: never half of it."""
    temporary = path.with_name(path.name + ".tmp")
    with temporary.open("wb") as sink:
        sink.write(data)
        sink.flush()
        os.fsync(sink.fileno())
    os.replace(temporary, path)

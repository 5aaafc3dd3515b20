"""What a corpus job is asked to do, and the fingerprint that says whether two runs are the same job."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from hfgate.registry.endpoint import Endpoint


@dataclass(frozen=True, slots=True, kw_only=True)
class JobSpec:
    """A corpus job.

    Args:
        inputs: a JSONL, CSV or Parquet file, or a folder of them (searched recursively).
        endpoint: the inference id of a ``text_embedding`` endpoint.
        output: the folder that receives the Parquet parts, the rejects and the job's manifest.
        id_column / text_column: the names of the id and text fields.
        part_rows: rows per part, the unit of progress and of resume.
        batch_texts: texts per embedding call; ``concurrency`` calls are in flight at once.
    """

    inputs: Path
    endpoint: str
    output: Path
    id_column: str = "id"
    text_column: str = "text"
    part_rows: int = 5_000
    batch_texts: int = 64
    concurrency: int = 4


def fingerprint(spec: JobSpec, endpoint: Endpoint) -> dict[str, Any]:
    """What must not change between a run and its resumption: else the vectors would not match.

    The endpoint's task settings do not change embeddings; its service and service settings (the
    model, the url, the engine) and its chunking do, and so do the columns read.
    """
    settings = {k: v for k, v in endpoint.service_settings.items() if k not in ("rate_limit",)}
    return {
        "endpoint": endpoint.inference_id,
        "service": endpoint.service,
        "service_settings": _digest(settings),
        "chunking_settings": endpoint.chunking_settings,
        "id_column": spec.id_column,
        "text_column": spec.text_column,
        "part_rows": spec.part_rows,
    }


def _digest(value: Any) -> str:
    return hashlib.sha256(json.dumps(value, sort_keys=True, default=str).encode()).hexdigest()[:16]

"""``hfgate prepare`` exports the default embedding model to ONNX at install time, so a fresh data directory
on an unseen CPU serves its first embedding on ONNX Runtime at once, with the same vectors as
sentence-transformers and without importing torch (docs/benchmarks/first-answer.md)."""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from hfgate.cli import app
from hfgate.local.catalog import resolve_model
from hfgate.local.embedding.onnx_export import export_on_disk, export_path, exported_model
from hfgate.local.prepared import PREPARED

pytestmark = pytest.mark.slow  # loads a real model or starts hfgate processes: not in `make check`

MINILM = "sentence-transformers/all-MiniLM-L6-v2"
MODEL = resolve_model(MINILM).path
PREPARED_EXPORT = export_path(MODEL, PREPARED)

# The README's first curl in a process of its own: a fresh data directory, no recorded engine choice.
FIRST_CURL = """
import json, sys
from fastapi.testclient import TestClient
from hfgate.api.app import create_app
from hfgate.config import Settings

with TestClient(create_app(Settings())) as client:
    answer = client.post("/_inference/text_embedding/.all-minilm-l6-v2", json={"input": ["hello world"]})
    torch = "torch" in sys.modules
    endpoint = client.get("/_inference/text_embedding/.all-minilm-l6-v2").json()["endpoints"][0]
print(json.dumps({"status": answer.status_code, "torch": torch, "answer": answer.json(),
                  "engine_choice": endpoint["service_settings"]["engine_choice"]}))
"""


def test_prepare_says_the_default_embedding_model_is_exported() -> None:
    answer = CliRunner().invoke(app, ["prepare"])
    assert answer.exit_code == 0, answer.output
    assert f"{MINILM}: already prepared in {PREPARED}" in answer.output.replace("\n", "")
    assert PREPARED_EXPORT.is_file()


def test_a_fresh_data_directory_takes_the_prepared_export_and_writes_nothing_beside_it(tmp_path: Path) -> None:
    before = sorted(PREPARED_EXPORT.parent.iterdir())
    assert export_on_disk(MODEL, tmp_path), "nothing to export: the prepared file counts"
    taken = exported_model(MODEL, tmp_path)
    assert taken == export_path(MODEL, tmp_path)
    assert taken.read_bytes() == PREPARED_EXPORT.read_bytes()
    assert sorted(PREPARED_EXPORT.parent.iterdir()) == before, "variants are made in the data directory"


def test_the_first_embedding_on_a_fresh_data_directory_is_onnx_exact_and_imports_no_torch(tmp_path: Path) -> None:
    from sentence_transformers import SentenceTransformer

    env = {
        **os.environ,
        "HFGATE_DATA_DIR": str(tmp_path / "data"),
        "HFGATE_LOCAL_ENGINE_CHOICES_DIR": str(tmp_path / "choices"),
        "HF_HUB_OFFLINE": "1",
    }
    run = subprocess.run([sys.executable, "-c", FIRST_CURL], env=env, capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stderr[-2000:]
    first = json.loads(run.stdout.splitlines()[-1])
    assert (first["status"], first["torch"]) == (200, False), first
    assert first["engine_choice"].startswith("measuring; serving on onnx"), first["engine_choice"]
    served = first["answer"]["text_embedding"][0]["embedding"]
    reference = SentenceTransformer(str(MODEL), device="cpu").encode(["hello world"], normalize_embeddings=True)[0]
    cosine = sum(a * float(b) for a, b in zip(served, reference, strict=True)) / math.hypot(*served)
    assert cosine >= 0.99999, "the same vector as sentence-transformers (torch), to rounding"

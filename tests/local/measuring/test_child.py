"""The one ONNX export driver both kinds run: the export worker as an offline child, whose work counts as
done only when it left the file it was to make, and whose last line of error output is the reason."""

from __future__ import annotations

import os
import textwrap
from pathlib import Path

import pytest

from hfgate.errors import HfGateError
from hfgate.local.measuring.child import run_export_worker

WORKER = """
    import os, sys
    model_dir, target, *rest = sys.argv[1:]
    if rest == ["fail"]:
        sys.exit("the builder does not know this architecture")
    if rest != ["nothing"]:
        open(target, "w").write(os.environ["HF_HUB_OFFLINE"] + os.environ["TRANSFORMERS_OFFLINE"] + model_dir)
"""


@pytest.fixture
def worker(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    (tmp_path / "fake_export_worker.py").write_text(textwrap.dedent(WORKER))
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join([str(tmp_path), os.environ.get("PYTHONPATH", "")]))
    return "fake_export_worker"


def test_an_export_runs_offline_and_leaves_its_file(worker: str, tmp_path: Path) -> None:
    target = tmp_path / "model.onnx"
    run_export_worker(worker, tmp_path / "model", target, made=target, what="model")
    assert target.read_text() == f"11{tmp_path / 'model'}"


@pytest.mark.parametrize(
    ("extra", "reason"),
    [("fail", "the builder does not know this architecture"), ("nothing", "no output")],
)
def test_an_export_that_fails_or_writes_nothing_says_why(worker: str, tmp_path: Path, extra: str, reason: str) -> None:
    target = tmp_path / "model.onnx"
    with pytest.raises(HfGateError, match=rf"Exporting \[.*model\] to ONNX failed: {reason}$"):
        run_export_worker(worker, tmp_path / "model", target, extra, made=target, what="model")
    assert not target.exists()

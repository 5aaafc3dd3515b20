"""Exporting a transformer to ONNX once, and keeping the file under the data directory.

We call ``torch.onnx.export`` (the TorchScript exporter) directly rather than optimum: optimum-onnx pins
transformers below 5, and the direct call needs nothing beyond torch and runs offline. It runs in a
child process (``onnx_export_worker``), so the server never imports torch for an ONNX model: that keeps
a few hundred MiB of torch out of its resident memory, and tracing cannot leave patched state behind in it.

``hfgate prepare`` exports the default embedding model once at install time into :data:`PREPARED`; a data
directory without its own export then takes that file (a hard link, or a copy across file systems) instead
of exporting, so a first start serves on ONNX Runtime at once and never imports torch to do it.
"""

from __future__ import annotations

import importlib
import importlib.metadata
import os
import shutil
from pathlib import Path
from typing import Any

from hfgate.errors import BadRequestError
from hfgate.local.fingerprint import model_fingerprint
from hfgate.local.measuring.child import run_export_worker
from hfgate.local.one_maker import made_once
from hfgate.local.prepared import PREPARED

# Bump when the export recipe changes, so cached files from older recipes are not reused.
EXPORT_RECIPE = "ts-opset17-v1"


def exported_model(model_dir: Path, cache_dir: Path, *, head: str = "AutoModel") -> Path:
    """The ONNX file of ``model_dir``'s transformer, exporting it on first use: its last hidden state, or
    with ``head`` (a transformers auto class such as ``AutoModelForSequenceClassification``) its logits.

    Args:
        model_dir: a transformers model directory.
        cache_dir: where exports are kept; one sub-directory per model version, recipe and head.
        head: the auto class the model is loaded with for the export.

    Raises:
        BadRequestError: torch (needed to export) is not installed.
        HfGateError: the export failed or does not reproduce the torch model.

    Example:
        >>> exported_model(resolve_model("all-MiniLM-L6-v2").path, Path("/tmp/models")).name
        'model.onnx'
    """
    target = export_path(model_dir, cache_dir, head=head)
    prepared = export_path(model_dir, PREPARED, head=head)
    if prepared.is_file() and prepared != target:
        return made_once(target, lambda: _take_prepared(prepared, target))
    module = "hfgate.local.embedding.onnx_export_worker"
    return made_once(target, lambda: run_export_worker(module, model_dir, target, head, made=target, what="model"))


def export_on_disk(model_dir: Path, cache_dir: Path, *, head: str = "AutoModel") -> bool:
    """Whether ``exported_model`` has nothing to export: the file is in ``cache_dir`` or was prepared at install."""
    return any(export_path(model_dir, where, head=head).is_file() for where in (cache_dir, PREPARED))


def _take_prepared(prepared: Path, target: Path) -> None:
    """``target`` as the export ``hfgate prepare`` made: linked when on one file system, else copied; the
    copy is renamed into place, so nobody sees half a file. Variants made from it go beside ``target``."""
    target.parent.mkdir(parents=True, exist_ok=True)
    scratch = target.with_suffix(".taking.onnx")
    scratch.unlink(missing_ok=True)
    try:
        os.link(prepared, scratch)
    except OSError:  # another file system, or links refused
        shutil.copyfile(prepared, scratch)
    scratch.replace(target)


def export_path(model_dir: Path, cache_dir: Path, *, head: str = "AutoModel") -> Path:
    """Where ``exported_model`` keeps the export of ``model_dir`` with ``head`` (the file may not exist yet)."""
    recipe = f"{EXPORT_RECIPE}|{_torch_version()}" + ("" if head == "AutoModel" else f"|{head}")
    return cache_dir / "onnx" / model_fingerprint(model_dir, recipe=recipe) / "model.onnx"


def _torch_version() -> str:
    try:
        return importlib.metadata.version("torch")
    except importlib.metadata.PackageNotFoundError as exc:
        raise BadRequestError(
            "Exporting a model to ONNX needs [torch], which is not installed; install the extra with "
            "`pip install torch==2.13.0 'hfgate[local]'`"
        ) from exc


def import_onnxruntime() -> Any:
    """Import onnxruntime on first use, naming the extra to install when it is missing.

    Raises:
        BadRequestError: onnxruntime is not installed.
    """
    try:
        return importlib.import_module("onnxruntime")
    except ImportError as exc:
        raise BadRequestError(
            "The [local] service's ONNX engine needs [onnxruntime], which is not installed; install the "
            "extra with `pip install torch==2.13.0 'hfgate[local]'` or set [service_settings.engine] "
            "to [torch]"
        ) from exc

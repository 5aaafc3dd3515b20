"""``hfgate prepare``: make, once at install time, what the packaged models would otherwise make at their
first load.

- A GGUF model (SmolLM2) is converted to transformers' format: transformers reads GGUF by dequantizing
  it in Python, minutes on a small machine.
- A packaged embedding model (all-MiniLM-L6-v2) is exported to ONNX: a fresh data directory then serves
  it on ONNX Runtime at once, without importing torch (docs/benchmarks/first-answer.md).

Done here (``make`` and the container's build run it), every data directory finds the copies inside the
installation, and the first answers on a fresh one wait only for the models' loads.

Example:
    $ hfgate prepare
    sentence-transformers/all-MiniLM-L6-v2: exported to ONNX in 9.5 s to .venv/share/hfgate/models/onnx/...
    HuggingFaceTB/SmolLM2-135M-Instruct: converted in 41.2 s to .venv/share/hfgate/models/...
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.markup import escape

from hfgate.commands.common import console, errors

if TYPE_CHECKING:
    from hfgate.local.catalog import ModelLocation


def prepare_command(
    into: Annotated[
        Path | None,
        typer.Option("--into", help="Where to write the copies; default: the installation's share/hfgate/models."),
    ] = None,
) -> None:
    """Convert packaged GGUF weights to transformers' format and export packaged embedding models to ONNX (once)."""
    from hfgate.errors import HfGateError
    from hfgate.local.catalog import KNOWN_MODELS, resolve_model
    from hfgate.local.prepared import PREPARED

    target = into or PREPARED
    failed = False
    for model in KNOWN_MODELS.values():
        try:
            location = resolve_model(model.model_id)
        except HfGateError as exc:  # the package is not installed: nothing to prepare
            console.print(f"{model.model_id}: skipped ({escape(exc.reason)})")
            continue
        try:
            _prepare_one(location, target)
        except (OSError, HfGateError) as exc:
            reason = f"{escape(str(exc))}; check that {target} is writable"
            errors.print(f"[red]{model.model_id}: not prepared:[/red] {reason}")
            failed = True
    if failed:
        raise typer.Exit(1)


def _prepare_one(location: ModelLocation, target: Path) -> None:
    from hfgate.local.embedding.onnx_export import export_path, exported_model
    from hfgate.local.generation.gguf_cache import prepare

    started = time.perf_counter()
    if location.gguf_file is not None:
        path, made = prepare(location, into=target)
        what = "converted"
    else:
        made = not export_path(location.path, target).is_file()
        path = exported_model(location.path, target)
        what = "exported to ONNX"
    if made:
        console.print(f"{location.model_id}: {what} in {time.perf_counter() - started:.1f} s to {path}")
    else:
        console.print(f"{location.model_id}: already prepared in {path}")

"""``hfgate prepare``: convert the GGUF models that installed packages carry, once, at install time.

transformers reads GGUF weights by dequantizing them in Python, minutes on a small machine. Done here
(``make`` and the container's build run it), every data directory finds the converted copy inside the
installation, and the first chat on a fresh one waits only for the model's load.

Example:
    $ hfgate prepare
    HuggingFaceTB/SmolLM2-135M-Instruct: converted in 41.2 s to .venv/share/hfgate/models/...
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape

from hfgate.commands.common import console, errors


def prepare_command(
    into: Annotated[
        Path | None,
        typer.Option("--into", help="Where to write the copies; default: the installation's share/hfgate/models."),
    ] = None,
) -> None:
    """Convert the GGUF weights of every installed packaged model to transformers' format (once)."""
    from hfgate.errors import HfGateError
    from hfgate.local.catalog import KNOWN_MODELS, resolve_model
    from hfgate.local.generation.gguf_cache import PREPARED, prepare

    target = into or PREPARED
    packaged = [model for model in KNOWN_MODELS.values() if model.gguf_file is not None]
    failed = False
    for model in packaged:
        try:
            location = resolve_model(model.model_id)
        except HfGateError as exc:  # the package is not installed: nothing to prepare
            console.print(f"{model.model_id}: skipped ({escape(exc.reason)})")
            continue
        started = time.perf_counter()
        try:
            path, made = prepare(location, into=target)
        except OSError as exc:
            reason = f"{escape(str(exc))}; check that {target} is writable"
            errors.print(f"[red]{model.model_id}: not converted:[/red] {reason}")
            failed = True
            continue
        if made:
            console.print(f"{model.model_id}: converted in {time.perf_counter() - started:.1f} s to {path}")
        else:
            console.print(f"{model.model_id}: already prepared in {path}")
    if failed:
        raise typer.Exit(1)

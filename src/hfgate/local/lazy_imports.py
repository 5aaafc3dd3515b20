"""Lazy imports of the heavy machine-learning stack, failing with the pip extra to install."""

from __future__ import annotations

import importlib
from types import ModuleType


def import_torch_stack(*modules: str) -> tuple[ModuleType, ...]:
    """Import torch and ``modules`` on first use, so the CLI and API start fast without them.

    Raises:
        BadRequestError: the ``local`` extra is not installed; the message names it.
    """
    from hfgate.errors import BadRequestError

    # Nothing is set in the environment here (no HF_HUB_OFFLINE): huggingface_hub reads it once, at its
    # first import, which transformers may make now; it would turn the Hub off for the whole process.
    # Every load passes ``local_files_only=True`` instead.
    try:
        return tuple(importlib.import_module(name) for name in ("torch", *modules))
    except ImportError as exc:
        raise BadRequestError(
            f"The [local] service needs [{exc.name}], which is not installed; install the extra with "
            "`pip install torch==2.13.0 'hfgate[local]'`"
        ) from exc

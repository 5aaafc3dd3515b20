"""What the Hugging Face cache holds of a repository, read from its folders without asking the Hub.

A file appears in ``snapshots/{commit}/`` only once it is whole: ``hf_hub_download`` writes
``blobs/{etag}.incomplete``, renames it, then links it (huggingface_hub ``file_download.py``
``_hf_hub_download_to_cache_dir``). Weights are fetched last, so a snapshot whose weights are all
there is complete.
"""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

from hfgate.errors import BadRequestError
from hfgate.local.hub.source import HubSource

_COMMIT = re.compile(r"^[0-9a-f]{40}$")  # huggingface_hub constants.REGEX_COMMIT_HASH
_INDEXES = ("model.safetensors.index.json", "pytorch_model.bin.index.json")
_SINGLE = ("model.safetensors", "pytorch_model.bin")


def cached_commit(source: HubSource, repo_id: str, revision: str | None) -> str:
    """The commit ``revision`` (default ``main``) pointed to when it was last fetched (``refs/{revision}``).

    Raises:
        BadRequestError: the cache has no such revision of ``repo_id``.
    """
    wanted = revision or "main"
    if _COMMIT.match(wanted) and source.snapshot(repo_id, wanted).is_dir():
        return wanted
    ref = source.model_dir(repo_id) / "refs" / wanted
    if ref.is_file():
        return ref.read_text().strip()
    raise BadRequestError(
        f"[{repo_id}] at [{wanted}] is not in the Hugging Face cache [{source.cache_dir}] and the Hub may not be "
        f"asked (HF_HUB_OFFLINE); fetch it first with `hfgate pull {repo_id}` where the Hub is reachable",
        param="service_settings.model",
    )


def record_ref(source: HubSource, repo_id: str, revision: str | None, commit: str) -> None:
    """Remember that ``revision`` (default ``main``) is ``commit``, for offline use: huggingface_hub
    writes ``refs/{revision}`` only when it is asked by name (``file_download.py``
    ``_cache_commit_hash_for_specific_revision``), and we fetch by commit so that every file comes from
    the same one."""
    wanted = revision or "main"
    if wanted == commit:
        return
    ref = source.model_dir(repo_id) / "refs" / wanted
    ref.parent.mkdir(parents=True, exist_ok=True)
    if not ref.is_file() or ref.read_text() != commit:
        ref.write_text(commit)


def snapshot_files(source: HubSource, repo_id: str, commit: str) -> dict[str, int]:
    """Each file of the cached snapshot (``2_Dense/config.json`` relative) and its size."""
    root = source.snapshot(repo_id, commit)
    return {p.relative_to(root).as_posix(): p.stat().st_size for p in root.rglob("*") if p.is_file()}


def complete(path: Path) -> bool:
    """Whether the snapshot folder ``path`` holds a loadable model: its weights (every shard an index
    names) or a GGUF file. ``False`` for a folder removed while it is looked at (a failed download's
    files :func:`discard`-ed as an endpoint's state is asked for)."""
    try:
        return _complete(path)
    except FileNotFoundError:
        return False


def _complete(path: Path) -> bool:
    if not path.is_dir():
        return False
    if any(path.glob("*.gguf")) and not (path / "config.json").exists():
        return True
    for index in _INDEXES:
        if (path / index).is_file():
            shards = set(json.loads((path / index).read_text()).get("weight_map", {}).values())
            return bool(shards) and all((path / shard).is_file() for shard in shards)
    # at the root, or in a first module holding the model (sentence-transformers/clip-ViT-B-32's 0_CLIPModel)
    return any((path / single).is_file() or any(path.glob(f"0_*/{single}")) for single in _SINGLE)


def discard(source: HubSource, repo_id: str, commit: str) -> None:
    """Remove what a failed fetch left of ``commit`` (its snapshot's files and the blobs no other
    revision links to), so that no half model stays behind (huggingface_hub ``scan_cache_dir`` and
    ``HFCacheInfo.delete_revisions``, which keep a blob another revision still uses)."""
    from huggingface_hub import scan_cache_dir
    from huggingface_hub.errors import CacheNotFound, CorruptedCacheException

    try:
        scan_cache_dir(source.cache_dir).delete_revisions(commit).execute()
    except (CacheNotFound, CorruptedCacheException):
        shutil.rmtree(source.snapshot(repo_id, commit), ignore_errors=True)

"""The Hub models the Hugging Face cache holds (``huggingface_hub.scan_cache_dir``), their size, the
endpoints that use them, and their removal when none does."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from hfgate.errors import BadRequestError, NotFoundError
from hfgate.local.hub.source import HubSource


@dataclass(frozen=True, slots=True, kw_only=True)
class CachedModel:
    """One repository in the cache: its size on disk, its commits, and the endpoints that use it."""

    repo_id: str
    size_bytes: int
    commits: tuple[str, ...]
    used_by: tuple[str, ...] = ()


def cached_models(source: HubSource, users: dict[str, list[str]]) -> list[CachedModel]:
    """Every model repository in ``source``'s cache, by id; ``users`` maps a repository id to the
    endpoints that use it."""
    from huggingface_hub import scan_cache_dir

    if not source.cache_dir.is_dir():
        return []
    scanned = scan_cache_dir(source.cache_dir)
    return sorted(
        (
            CachedModel(
                repo_id=repo.repo_id,
                size_bytes=repo.size_on_disk,
                commits=tuple(sorted(r.commit_hash for r in repo.revisions)),
                used_by=tuple(sorted(users.get(repo.repo_id, ()))),
            )
            for repo in scanned.repos
            if repo.repo_type == "model"
        ),
        key=lambda model: model.repo_id,
    )


def remove_model(source: HubSource, repo_id: str, users: dict[str, list[str]]) -> int:
    """Remove every cached revision of ``repo_id``; returns the bytes freed.

    Raises:
        BadRequestError: an endpoint uses it (named; delete it first).
        NotFoundError: the cache does not hold it.
    """
    from huggingface_hub import scan_cache_dir

    using = sorted(users.get(repo_id, ()))
    if using:
        raise BadRequestError(
            f"[{repo_id}] is used by the endpoint(s) [{', '.join(using)}]; delete them first "
            "(hfgate endpoints delete ID), then remove the model"
        )
    scanned = scan_cache_dir(source.cache_dir) if source.cache_dir.is_dir() else None
    repo = (
        next((r for r in scanned.repos if r.repo_id == repo_id and r.repo_type == "model"), None) if scanned else None
    )
    if repo is None or scanned is None:
        raise NotFoundError(f"[{repo_id}] is not in the Hugging Face cache [{source.cache_dir}] (see `hfgate models`)")
    strategy = scanned.delete_revisions(*(r.commit_hash for r in repo.revisions))
    strategy.execute()
    return strategy.expected_freed_size


def users_by_repo(models: Iterable[tuple[str, str]]) -> dict[str, list[str]]:
    """``(endpoint id, repository id)`` pairs grouped by repository."""
    grouped: dict[str, list[str]] = {}
    for inference_id, repo_id in models:
        grouped.setdefault(repo_id, []).append(inference_id)
    return grouped

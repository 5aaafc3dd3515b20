"""A Hugging Face Hub on 127.0.0.1 for tests: the file API as ``huggingface_hub`` itself uses it.

Each behaviour follows the client code that reads it (huggingface_hub 2.x, installed package):

- ``GET /api/models/{repo}[/revision/{rev}]``: ``hf_api.py`` ``HfApi.model_info`` (``blobs=true`` for
  ``files_metadata``) builds ``ModelInfo`` from ``id``, ``sha``, ``siblings`` (``rfilename``, ``size``,
  ``blobId``, ``lfs``).
- ``HEAD /{repo}/resolve/{rev}/{file}``: ``file_download.py`` ``get_hf_file_metadata`` reads
  ``X-Repo-Commit``, ``X-Linked-Etag`` or ``ETag``, ``X-Linked-Size`` or ``Content-Length``, and
  ``Location``; ``utils/_http.py`` ``_httpx2_follow_hub_redirects_with_backoff`` stops at a redirect to
  another host, so an LFS file (weights) answers 302 to the "CDN" at ``localhost`` (another host than
  ``127.0.0.1``) with its metadata on the 302 itself, as the Hub does.
- ``GET`` of a file: ``file_download.py`` ``http_get`` streams it, sends ``Range: bytes={n}-`` to resume
  (``resume_size``) and expects a 206 with ``Content-Range`` (``_get_file_length_from_http_response``).
- Errors: ``utils/_http.py`` ``hf_raise_for_status`` maps ``X-Error-Code`` ``GatedRepo`` (401),
  ``RepoNotFound`` and ``RevisionNotFound`` (404), ``EntryNotFound`` (404) to its exceptions.
"""

from __future__ import annotations

import asyncio
import hashlib
import threading
from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import unquote

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import Route

from tests.support.live_server import serve_app

LFS_SUFFIXES = (".safetensors", ".bin", ".gguf")


@dataclass
class HubRepo:
    """One repository: its commits' files, and branch or tag names pointing at commits."""

    repo_id: str
    commits: dict[str, dict[str, bytes]] = field(default_factory=dict)
    refs: dict[str, str] = field(default_factory=dict)
    gated_token: str | None = None  # gated: only this bearer token may read it
    pipeline_tag: str | None = None  # the task the Hub files the model under (model info's ``pipeline_tag``)

    def commit(self, rev: str) -> str | None:
        return rev if rev in self.commits else self.refs.get(rev)


@dataclass(frozen=True)
class Seen:
    """One request the hub answered: method, path and the ``Range`` header sent."""

    method: str
    path: str
    range: str | None


class TestHub:
    """The hub's repositories and what tests control: requests seen, file responses held or cut."""

    __test__ = False  # not a pytest class

    def __init__(self) -> None:
        self.repos: dict[str, HubRepo] = {}
        self.seen: list[Seen] = []
        self.hold = threading.Event()  # while clear, weight files stop after their first chunk
        self.hold.set()
        self.cut_once: set[str] = set()  # files whose next GET stops 1 MiB short (a dropped connection)
        self.url = ""

    def add(
        self,
        repo_id: str,
        directory: Path,
        *,
        branch: str = "main",
        gated_token: str | None = None,
        pipeline_tag: str | None = None,
    ) -> str:
        """Publish ``directory``'s files as a new commit of ``repo_id`` on ``branch``; returns the commit."""
        files = {
            p.relative_to(directory).as_posix(): p.read_bytes() for p in sorted(directory.rglob("*")) if p.is_file()
        }
        digest = hashlib.sha1(repo_id.encode())
        for name, data in files.items():
            digest.update(name.encode() + hashlib.sha1(data).digest())
        commit = digest.hexdigest()
        repo = self.repos.setdefault(repo_id, HubRepo(repo_id=repo_id))
        repo.commits[commit], repo.refs[branch], repo.gated_token = files, commit, gated_token
        repo.pipeline_tag = pipeline_tag or repo.pipeline_tag
        return commit

    def gets(self, suffix: str) -> list[Seen]:
        """The GETs of file contents whose path ends with ``suffix``."""
        return [s for s in self.seen if s.method == "GET" and s.path.endswith(suffix) and "/api/" not in s.path]

    def app(self) -> Starlette:
        return Starlette(
            routes=[
                Route("/api/models/{org}/{name}/revision/{rev:path}", self._info),
                Route("/api/models/{org}/{name}", self._info),
                Route("/{org}/{name}/resolve/{rev}/{file:path}", self._resolve, methods=["GET", "HEAD"]),
                Route("/_lfs/{org}/{name}/{commit}/{file:path}", self._lfs, methods=["GET", "HEAD"]),
                Route("/health", lambda _: Response("ok")),  # what serve_app waits for
            ]
        )

    async def _info(self, request: Request) -> Response:
        self._see(request)
        found = self._find(request)
        if isinstance(found, Response):
            return found
        repo, commit = found
        siblings = [_sibling(name, data) for name, data in repo.commits[commit].items()]
        gated = "manual" if repo.gated_token else False
        return JSONResponse(
            {
                "id": repo.repo_id,
                "modelId": repo.repo_id,
                "sha": commit,
                "siblings": siblings,
                "gated": gated,
                "private": False,
                **({"pipeline_tag": repo.pipeline_tag} if repo.pipeline_tag else {}),
            }
        )

    async def _resolve(self, request: Request) -> Response:
        self._see(request)
        found = self._find(request)
        if isinstance(found, Response):
            return found
        repo, commit = found
        name = request.path_params["file"]
        data = repo.commits[commit].get(name)
        if data is None:
            return _error(404, "EntryNotFound", f"{name} does not exist on {commit}")
        headers = {"X-Repo-Commit": commit}
        if name.endswith(LFS_SUFFIXES):
            # The Hub redirects LFS files to its CDN; the file's own sha256 and size ride on the 302.
            cdn = self.url.replace("127.0.0.1", "localhost")
            location = f"{cdn}/_lfs/{repo.repo_id}/{commit}/{name}"
            headers |= {"Location": location, "X-Linked-Etag": f'"{_sha256(data)}"', "X-Linked-Size": str(len(data))}
            return Response(status_code=302, headers=headers)
        headers |= {"ETag": f'"{_git_sha1(data)}"', "Content-Length": str(len(data))}
        if request.method == "HEAD":
            return Response(status_code=200, headers=headers)
        return Response(data, headers=headers)

    async def _lfs(self, request: Request) -> Response:
        self._see(request)
        repo = self.repos[f"{request.path_params['org']}/{request.path_params['name']}"]
        name = request.path_params["file"]
        data = repo.commits[request.path_params["commit"]][name]
        start = _range_start(request.headers.get("Range"))
        headers = {"ETag": f'"{_sha256(data)}"', "Content-Length": str(len(data) - start)}
        status = 200
        if start:
            status, headers["Content-Range"] = 206, f"bytes {start}-{len(data) - 1}/{len(data)}"
        if request.method == "HEAD":
            return Response(status_code=status, headers=headers)
        cut = name in self.cut_once and not start
        self.cut_once.discard(name)
        return StreamingResponse(self._body(data[start:], cut=cut), status_code=status, headers=headers)

    async def _body(self, data: bytes, *, cut: bool) -> AsyncIterator[bytes]:
        if cut:
            # Less than Content-Length, then the connection ends: the client sees an incomplete body.
            yield data[: max(1, len(data) - 2**20)]
            await asyncio.sleep(1)  # let the client read what was sent: the reset drops unread bytes
            raise ConnectionResetError("test hub: connection cut 1 MiB before the end")
        half = max(1, len(data) // 2)
        yield data[:half]
        await asyncio.to_thread(self.hold.wait)  # a threading.Event: the test sets it from its own loop
        yield data[half:]

    def _find(self, request: Request) -> tuple[HubRepo, str] | Response:
        params = request.path_params
        repo = self.repos.get(f"{params['org']}/{params['name']}")
        if repo is None:
            return _error(404, "RepoNotFound", "Repository not found")
        if repo.gated_token and request.headers.get("Authorization") != f"Bearer {repo.gated_token}":
            return _error(401, "GatedRepo", "Access to this model is restricted; you must have access to it")
        commit = repo.commit(unquote(params.get("rev", "main")))
        if commit is None:
            return _error(404, "RevisionNotFound", f"Invalid rev id: {params.get('rev')}")
        return repo, commit

    def _see(self, request: Request) -> None:
        self.seen.append(Seen(method=request.method, path=request.url.path, range=request.headers.get("Range")))


def _error(status: int, code: str, message: str) -> Response:
    return JSONResponse(
        {"error": message}, status_code=status, headers={"X-Error-Code": code, "X-Error-Message": message}
    )


def _sibling(name: str, data: bytes) -> dict[str, object]:
    entry: dict[str, object] = {"rfilename": name, "size": len(data), "blobId": _git_sha1(data)}
    if name.endswith(LFS_SUFFIXES):
        entry["lfs"] = {"sha256": _sha256(data), "size": len(data), "pointerSize": 134}
    return entry


def _range_start(header: str | None) -> int:
    if not header or not header.startswith("bytes="):
        return 0
    return int(header.removeprefix("bytes=").split("-", 1)[0] or 0)


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _git_sha1(data: bytes) -> str:
    """A git blob id, the ETag the Hub gives a file kept in git (not LFS)."""
    return hashlib.sha1(b"blob %d\0" % len(data) + data).hexdigest()


@contextmanager
def serve_hub(hub: TestHub) -> Iterator[str]:
    """Serve ``hub`` until the block ends; yields its URL (also set as ``hub.url``)."""
    with serve_app(hub.app()) as url:
        hub.url = url
        yield url

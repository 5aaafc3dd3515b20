"""A Python client for hfgate's HTTP API (the Elasticsearch-shaped ``_inference`` routes, keys and usage, and
OpenAI's Files and Batches).

Example:
    >>> with Client("http://127.0.0.1:8080") as client:
    ...     vectors = client.infer(".all-minilm-l6-v2", ["hello world"])["text_embedding"]
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from types import TracebackType
from typing import Any

import httpx
import orjson


class ClientError(Exception):
    """hfgate answered with an error.

    Attributes:
        status: the HTTP status.
        error_type: Elasticsearch's error type (``validation_exception``…).
        reason: the message, naming the field and the fix.
    """

    def __init__(self, status: int, error_type: str, *, reason: str) -> None:
        super().__init__(f"[{status}] {reason}")
        self.status = status
        self.error_type = error_type
        self.reason = reason


class Client:
    """Synchronous client; one connection pool per instance.

    Args:
        base_url: where hfgate listens.
        api_key: one of the gateway's ``HFGATE_API_KEYS``, or an API key's ``encoded`` value.
        timeout: seconds to wait for an answer (model loads can take a while).
    """

    def __init__(
        self, base_url: str = "http://127.0.0.1:8080", *, api_key: str | None = None, timeout: float = 300.0
    ) -> None:
        headers = {"Authorization": f"Bearer {api_key}"} if api_key else {}
        self._http = httpx.Client(base_url=base_url, headers=headers, timeout=timeout)

    def __enter__(self) -> Client:
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> None:
        self.close()

    def close(self) -> None:
        self._http.close()

    def list_endpoints(self, task_type: str | None = None) -> list[dict[str, Any]]:
        path = f"/_inference/{task_type}/_all" if task_type else "/_inference/_all"
        endpoints: list[dict[str, Any]] = self._call("GET", path)["endpoints"]
        return endpoints

    def get_endpoint(self, inference_id: str) -> dict[str, Any]:
        endpoint: dict[str, Any] = self._call("GET", f"/_inference/{inference_id}")["endpoints"][0]
        return endpoint

    def create_endpoint(
        self, inference_id: str, *, task_type: str, config: dict[str, Any], skip_validation: bool = False
    ) -> dict[str, Any]:
        """Create an endpoint from ``config`` (``service``, ``service_settings``…)."""
        params = {"skip_validation": "true"} if skip_validation else None
        created: dict[str, Any] = self._call(
            "PUT", f"/_inference/{task_type}/{inference_id}", json=config, params=params
        )
        return created

    def update_endpoint(self, inference_id: str, changes: dict[str, Any]) -> dict[str, Any]:
        updated: dict[str, Any] = self._call("PUT", f"/_inference/{inference_id}/_update", json=changes)
        return updated

    def delete_endpoint(self, inference_id: str) -> None:
        self._call("DELETE", f"/_inference/{inference_id}")

    def services(self) -> list[dict[str, Any]]:
        services: list[dict[str, Any]] = self._call("GET", "/_inference/_services")
        return services

    def infer(
        self,
        inference_id: str,
        inputs: list[str],
        *,
        query: str | None = None,
        task_settings: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        """Run inference; the answer is Elasticsearch's shape for the endpoint's task type."""
        body: dict[str, Any] = {"input": inputs}
        if query is not None:
            body["query"] = query
        if task_settings:
            body["task_settings"] = task_settings
        result: dict[str, Any] = self._call("POST", f"/_inference/{inference_id}", json=body)
        return result

    def stream(self, inference_id: str, body: dict[str, Any]) -> Iterator[dict[str, Any]]:
        """The server-sent events of ``_stream``, decoded, until ``[DONE]``."""
        with self._http.stream("POST", f"/_inference/{inference_id}/_stream", json=body) as response:
            if response.is_error:
                response.read()
                raise _error(response)
            for line in response.iter_lines():
                if not line.startswith("data:"):
                    continue
                data = line.removeprefix("data:").strip()
                if data == "[DONE]":
                    return
                yield orjson.loads(data)

    def create_key(self, body: dict[str, Any]) -> dict[str, Any]:
        """``POST /_security/api_key``: the answer holds the key's secret, shown this once."""
        created: dict[str, Any] = self._call("POST", "/_security/api_key", json=body)
        return created

    def list_keys(self, *, name: str | None = None) -> list[dict[str, Any]]:
        params = {"name": name} if name else None
        keys: list[dict[str, Any]] = self._call("GET", "/_security/api_key", params=params)["api_keys"]
        return keys

    def revoke_keys(self, *, ids: list[str] | None = None, name: str | None = None) -> dict[str, Any]:
        body: dict[str, Any] = {"name": name} if name else {"ids": ids or []}
        revoked: dict[str, Any] = self._call("DELETE", "/_security/api_key", json=body)
        return revoked

    def usage(self, **query: str | None) -> dict[str, Any]:
        """``GET /_usage`` with ``key``, ``endpoint``, ``from`` (``start``), ``to`` (``end``) and ``by``."""
        renamed = {"from" if k == "start" else "to" if k == "end" else k: v for k, v in query.items()}
        found: dict[str, Any] = self._call("GET", "/_usage", params={k: v for k, v in renamed.items() if v})
        return found

    def apply(self, body: dict[str, Any]) -> dict[str, Any]:
        """``POST /_hfgate/apply``: make the registry match a file (creates may each call a model: no timeout)."""
        result: dict[str, Any] = self._call("POST", "/_hfgate/apply", json=body, timeout=None)
        return result

    def export(self, fmt: str = "yaml") -> str:
        """``GET /_hfgate/export``: the registry as a file ``apply`` takes, secrets as references."""
        response = self._http.get("/_hfgate/export", params={"format": fmt})
        if response.is_error:
            raise _error(response)
        return response.text

    def upload_file(self, path: Path, *, purpose: str = "batch") -> dict[str, Any]:
        """``POST /v1/files``: the file at ``path`` (streamed from disk), OpenAI's file object."""
        with path.open("rb") as source:
            uploaded: dict[str, Any] = self._call("POST", "/v1/files", data={"purpose": purpose},
                                                  files={"file": (path.name, source, "application/jsonl")})  # fmt: skip
        return uploaded

    def download_file(self, file_id: str, target: Path) -> int:
        """``GET /v1/files/{id}/content`` written to ``target`` as it comes; the bytes written."""
        with self._http.stream("GET", f"/v1/files/{file_id}/content") as response:
            if response.is_error:
                response.read()
                raise _error(response)
            with target.open("wb") as sink:
                for piece in response.iter_bytes():
                    sink.write(piece)
            return response.num_bytes_downloaded

    def create_batch(
        self, input_file_id: str, *, endpoint: str, metadata: dict[str, str] | None = None
    ) -> dict[str, Any]:
        """``POST /v1/batches``: OpenAI's batch object, ``in_progress`` (or ``failed``, naming the bad lines)."""
        body = {"input_file_id": input_file_id, "endpoint": endpoint, "completion_window": "24h", "metadata": metadata}
        created: dict[str, Any] = self._call("POST", "/v1/batches", json=body)
        return created

    def get_batch(self, batch_id: str) -> dict[str, Any]:
        batch: dict[str, Any] = self._call("GET", f"/v1/batches/{batch_id}")
        return batch

    def list_batches(self, *, limit: int = 20) -> list[dict[str, Any]]:
        """The key's batches, newest first."""
        listed: list[dict[str, Any]] = self._call("GET", "/v1/batches", params={"limit": limit})["data"]
        return listed

    def cancel_batch(self, batch_id: str) -> dict[str, Any]:
        cancelled: dict[str, Any] = self._call("POST", f"/v1/batches/{batch_id}/cancel")
        return cancelled

    def _call(self, method: str, path: str, **kwargs: Any) -> Any:  # JSON of the route's shape
        response = self._http.request(method, path, **kwargs)
        if response.is_error:
            raise _error(response)
        return response.json()


def _error(response: httpx.Response) -> ClientError:
    try:
        error = response.json()["error"]  # Elasticsearch's shape ({type, reason}) or OpenAI's ({type, message})
        reason = error.get("reason") or error.get("message", "")
        return ClientError(response.status_code, error.get("type", "error"), reason=reason)
    except (ValueError, KeyError, TypeError, AttributeError):
        return ClientError(response.status_code, "http_error", reason=response.text[:500])

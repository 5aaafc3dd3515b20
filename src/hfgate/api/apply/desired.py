"""The file's shape: ``endpoints`` by id and ``keys`` by name, secrets resolved from ``${ENV_VAR}`` references.

Example file::

    endpoints:
      search-emb:
        task_type: text_embedding
        service: hugging_face
        service_settings: {url: "https://tei.internal/embed", api_key: "${HF_TOKEN}"}
        chunking_settings: {strategy: sentence, max_chunk_size: 250, sentence_overlap: 1}
    keys:
      search-app: {roles: [infer], endpoints: ["search-*"], limits: {requests_per_minute: 600}}
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from hfgate.api.apply.source import Document, Path, reference, resolve

TOP = ("endpoints", "keys")
ENDPOINT_FIELDS = ("task_type", "service", "service_settings", "task_settings", "chunking_settings")
KEY_FIELDS = ("roles", "endpoints", "limits")


@dataclass(frozen=True, slots=True, kw_only=True)
class DesiredEndpoint:
    inference_id: str
    body: dict[str, Any]  # a create body, secrets resolved
    path: Path


@dataclass(frozen=True, slots=True, kw_only=True)
class DesiredKey:
    name: str
    body: dict[str, Any]  # a create-key body
    path: Path


@dataclass(slots=True)
class Desired:
    endpoints: list[DesiredEndpoint] = field(default_factory=list)
    keys: list[DesiredKey] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)


def read_desired(document: Document, *, env: Mapping[str, str], secret_names: Mapping[str, set[str]]) -> Desired:
    """The entries of ``document``; every shape problem is collected with its file, line and field.

    Args:
        document: the parsed file.
        env: the values of the ``${ENV_VAR}`` references.
        secret_names: per service, the names of its secret settings (which must be references).
    """
    desired = Desired()
    data = document.data if document.data is not None else {}
    if not isinstance(data, dict):
        desired.problems.append(f"{document.where(())} the file must be a mapping with {list(TOP)}")
        return desired
    for name in sorted(set(data) - set(TOP)):
        desired.problems.append(f"{document.where((str(name),))} unknown section; the sections are {list(TOP)}")
    for inference_id, entry in _section(document, "endpoints", desired).items():
        _endpoint(document, str(inference_id), entry, env=env, secret_names=secret_names, desired=desired)
    for name, entry in _section(document, "keys", desired).items():
        _key(document, str(name), entry, desired)
    return desired


def _section(document: Document, name: str, desired: Desired) -> dict[str, Any]:
    value = document.data.get(name) if isinstance(document.data, dict) else None
    if value is None:
        return {}
    if not isinstance(value, dict):
        desired.problems.append(f"{document.where((name,))} must be a mapping by id (or name) of entries")
        return {}
    return value


def _endpoint(
    document: Document, inference_id: str, entry: object, *, env: Mapping[str, str],
    secret_names: Mapping[str, set[str]], desired: Desired,
) -> None:  # fmt: skip
    path = ("endpoints", inference_id)
    if not _fields(document, path, entry, ENDPOINT_FIELDS, desired):
        return
    assert isinstance(entry, dict)
    body = {name: entry[name] for name in ENDPOINT_FIELDS if entry.get(name) is not None}
    settings = body.get("service_settings")
    if isinstance(settings, dict):
        secrets = secret_names.get(str(body.get("service")), set())
        body["service_settings"] = _resolved(document, (*path, "service_settings"), settings, env, secrets, desired)
    desired.endpoints.append(DesiredEndpoint(inference_id=inference_id, body=body, path=path))


def _resolved(
    document: Document, path: Path, settings: dict[str, Any], env: Mapping[str, str], secrets: set[str],
    desired: Desired,
) -> dict[str, Any]:  # fmt: skip
    resolved: dict[str, Any] = {}
    for name, value in settings.items():
        where = document.where((*path, name))
        if name in secrets and reference(value) is None:
            desired.problems.append(f"{where} is a secret: give a ${{ENV_VAR}} reference, never the value itself")
            resolved[name] = value  # still checked below; nothing is applied while the file has a problem
            continue
        try:
            resolved[name] = resolve(value, env)
        except KeyError:
            desired.problems.append(f"{where} refers to {value}, which is not set: export it before applying")
    return resolved


def _key(document: Document, name: str, entry: object, desired: Desired) -> None:
    path = ("keys", name)
    if _fields(document, path, entry, KEY_FIELDS, desired):
        assert isinstance(entry, dict)
        body = {"name": name, **{field: entry[field] for field in KEY_FIELDS if entry.get(field) is not None}}
        desired.keys.append(DesiredKey(name=name, body=body, path=path))


def _fields(document: Document, path: Path, entry: object, known: tuple[str, ...], desired: Desired) -> bool:
    if not isinstance(entry, dict):
        desired.problems.append(f"{document.where(path)} must be a mapping of {list(known)}")
        return False
    for name in sorted(set(entry) - set(known)):
        desired.problems.append(f"{document.where((*path, str(name)))} unknown field; the fields are {list(known)}")
    return True

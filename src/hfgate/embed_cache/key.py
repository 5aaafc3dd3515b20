"""What a cached vector depends on, hashed: the model's identity, the engine's class, the request's
options and the text.

A key is ``<model>:<options>:<text>``, three digests: :func:`model_prefix` names every entry of one
model (what deleting its last endpoint removes), a :class:`VectorSpace` everything but the text (two
endpoints on the same model and options share one), and :func:`text_keys` hashes each text within it.
Keys are digests only: no text is kept in a key.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

_UTF8, _LONE = "utf-8", "surrogatepass"  # a lone surrogate (JSON allows one) still has a key
# Prefixes of the spaces without task settings (nearly all), computed once: hashing them is most of
# a one-text lookup's cost.
_PREFIXES: dict[tuple[str, str, bool, int | None, str | None], str] = {}
_REMEMBERED = 4096


@dataclass(frozen=True, slots=True, kw_only=True)
class VectorSpace:
    """The identity of the vectors one request gets, but for its texts.

    Attributes:
        model: the model's identity, as its service says (``Service.vector_model``): a local model's
            files, or a remote server's url, provider and served model.
        engine: what computes on it, as its service says (``Service.vector_engine``): ``exact`` for every
            float32 engine of a local model (they share entries), an inexact engine's own name.
        normalize: whether the vectors are normalized (TEI's ``normalize``).
        dimensions: the endpoint's recorded size (``None`` when not recorded).
        input_type: what the vectors are for (``search``, ``ingest``…), when the request says.
        task_settings: the request's task settings (a prompt, an instruction).

    Example:
        >>> space = VectorSpace(model="local|all-MiniLM-L6-v2-3f2a9c01", engine="exact", dimensions=384)
        >>> len(space.prefix), space.prefix.startswith(model_prefix(space.model))
        (33, True)
    """

    model: str
    engine: str = ""
    normalize: bool = True
    dimensions: int | None = None
    input_type: str | None = None
    task_settings: Mapping[str, Any] = field(default_factory=dict)

    @property
    def prefix(self) -> str:
        """``<model>:<options>``: 16 hex digits each."""
        if self.task_settings:
            return self._prefix()
        plain = (self.model, self.engine, self.normalize, self.dimensions, self.input_type)
        known = _PREFIXES.get(plain)
        if known is None:
            if len(_PREFIXES) >= _REMEMBERED:
                _PREFIXES.clear()
            known = _PREFIXES[plain] = self._prefix()
        return known

    def _prefix(self) -> str:
        options = [self.engine, self.normalize, self.dimensions, self.input_type, dict(self.task_settings)]
        return f"{model_prefix(self.model)}:{_hex(json.dumps(options, sort_keys=True, default=str), 8)}"


def model_prefix(model: str) -> str:
    """16 hex digits naming every entry of the model ``model`` (whatever the engine and options)."""
    return _hex(model, 8)


def text_keys(space: VectorSpace, texts: Sequence[str]) -> list[str]:
    """One key per text: ``<space prefix>:<32 hex digits of the text>``.

    Example:
        >>> a, b = text_keys(VectorSpace(model="m"), ["x", "x"])
        >>> a == b, len(a)
        (True, 66)
    """
    prefix = space.prefix
    salt = prefix.encode()
    blake = hashlib.blake2b
    return [
        f"{prefix}:{blake(t.encode('utf-8', 'surrogatepass'), digest_size=16, key=salt).hexdigest()}" for t in texts
    ]


def content_keys(space: VectorSpace, texts: Sequence[str], images: Sequence[str | None]) -> list[str]:
    """:func:`text_keys`, but ``<space prefix>:image:<hex>`` where ``images`` holds an image's bytes hash:
    never a text's key (a text's is 32 hex digits after the prefix), whatever characters the text has."""
    if not images:
        return text_keys(space, texts)
    keys = text_keys(space, texts)
    return [
        key if digest is None else f"{space.prefix}:image:{digest}" for key, digest in zip(keys, images, strict=True)
    ]


def _hex(text: str, size: int) -> str:
    return hashlib.blake2b(text.encode(), digest_size=size).hexdigest()

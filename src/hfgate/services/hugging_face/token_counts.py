"""Token counts with the model's own tokenizer, when hfgate can load it without a network.

A tokenizer is found for a model id in the models installed packages carry (hfgate's catalog) or in
the local Hugging Face cache (``HF_HUB_OFFLINE`` lookups only). Nothing else is guessed: when no
tokenizer is found, callers use the upstream's own figure, or report none.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Protocol

log = logging.getLogger("hfgate.upstream")


class TokenCounter(Protocol):
    def count(self, texts: Sequence[str]) -> int: ...

    def token(self, token_id: int) -> str | None: ...


class _FileTokenizer:
    def __init__(self, path: Path) -> None:
        from tokenizers import Tokenizer  # heavy-ish import, only when a tokenizer is used

        self._tokenizer: Any = Tokenizer.from_file(str(path))
        # Some tokenizer files pad every input to a fixed length; padding is not input.
        self._tokenizer.no_padding()

    def count(self, texts: Sequence[str]) -> int:
        return sum(len(self._tokenizer.encode(text).ids) for text in texts)

    def token(self, token_id: int) -> str | None:
        found = self._tokenizer.id_to_token(token_id)
        return found if isinstance(found, str) else None


class Tokenizers:
    """Loaded tokenizers by model id; each is looked for once (in a worker thread).

    Example:
        >>> tokenizers = Tokenizers()
        >>> # counter = await tokenizers.get("sentence-transformers/all-MiniLM-L6-v2")
        >>> # counter.count(["hello world"]) if counter else None
    """

    def __init__(self) -> None:
        self._found: dict[str, TokenCounter | None] = {}
        self._pending: dict[str, asyncio.Task[TokenCounter | None]] = {}

    async def get(self, model_id: str | None) -> TokenCounter | None:
        """The model's tokenizer, or ``None`` when it is not available here."""
        if not model_id:
            return None
        if model_id in self._found:
            return self._found[model_id]
        task = self._pending.get(model_id)
        if task is None:
            task = asyncio.ensure_future(asyncio.to_thread(_load, model_id))
            self._pending[model_id] = task
        try:
            counter = await asyncio.shield(task)
        finally:
            self._pending.pop(model_id, None)
        self._found[model_id] = counter
        return counter


def _load(model_id: str) -> TokenCounter | None:
    path = _tokenizer_file(model_id)
    if path is None:
        log.info("no local tokenizer", extra={"event": "tokenizer.missing", "model": model_id})
        return None
    try:
        return _FileTokenizer(path)
    except Exception as exc:  # a broken tokenizer file must not fail inference
        extra = {"event": "tokenizer.error", "model": model_id, "error": str(exc)}
        log.warning("tokenizer unreadable", extra=extra)
        return None


def _tokenizer_file(model_id: str) -> Path | None:
    return model_file(model_id, "tokenizer.json")


def model_file(model_id: str, name: str) -> Path | None:
    """File ``name`` of model ``model_id`` where this machine has it without a network: in the model's
    directory (a packaged model, or ``model_id`` a path) or in the local Hugging Face cache."""
    from hfgate.errors import BadRequestError
    from hfgate.local.catalog import resolve_model

    try:
        candidate = resolve_model(model_id).path / name
        if candidate.is_file():
            return candidate
    except BadRequestError:
        pass
    return _cached_file(model_id, name)


def _cached_file(model_id: str, name: str) -> Path | None:
    try:
        from huggingface_hub import try_to_load_from_cache
    except ImportError:
        return None
    try:
        found = try_to_load_from_cache(model_id, name)
    except Exception:  # an odd model id is simply not cached
        return None
    return Path(found) if isinstance(found, str) else None

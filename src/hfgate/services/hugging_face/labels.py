"""A classifier's class names, read from its ``config.json`` (``id2label``) where this machine has the file
without a network, as the tokenizers of :mod:`.token_counts` are found: the model's directory (a model served
by its path), a packaged model, or the local Hugging Face cache. vLLM's ``/classify`` names only each text's
best class; with the names, every class has its own."""

from __future__ import annotations

import asyncio
import json
import logging

from hfgate.services.hugging_face.token_counts import model_file

log = logging.getLogger("hfgate.upstream")


class Labels:
    """Class names by model id, each looked for once (in a worker thread); empty when not found.

    Example:
        >>> labels = Labels()
        >>> # await labels.get("/models/my-classifier")  -> ("negative", "positive")
    """

    def __init__(self) -> None:
        self._found: dict[str, tuple[str, ...]] = {}

    async def get(self, model_id: str | None) -> tuple[str, ...]:
        if not model_id:
            return ()
        if model_id not in self._found:
            self._found[model_id] = await asyncio.to_thread(_read, model_id)
        return self._found[model_id]


def _read(model_id: str) -> tuple[str, ...]:
    path = model_file(model_id, "config.json")
    if path is None:
        return ()
    try:
        named = json.loads(path.read_text()).get("id2label") or {}
        names = [named.get(str(i)) for i in range(len(named))]
    except (OSError, ValueError, AttributeError) as exc:  # a broken config must not fail inference
        log.warning("config unreadable", extra={"event": "labels.error", "model": model_id, "error": str(exc)})
        return ()
    strings = [n for n in names if isinstance(n, str)]
    return tuple(strings) if len(strings) == len(names) else ()

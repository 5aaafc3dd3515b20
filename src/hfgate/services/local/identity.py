"""A local model's identity for the embedding cache, read from its files and remembered a few seconds
(finding a packaged model asks the installed packages, ~1 ms: too much for every request)."""

from __future__ import annotations

import time
from collections.abc import Callable

from hfgate.local.catalog import ModelLocation
from hfgate.local.measuring.record import model_files_digest
from hfgate.tasks import TaskType

# Files replaced under a running server are seen after this long.
REMEMBER_SECONDS = 5.0

# What each cached task type's results are called in the identity: a model's dense vectors, sparse
# vectors and rerank scores are three key spaces, kept and removed apart.
KINDS = {TaskType.TEXT_EMBEDDING: "local", TaskType.SPARSE_EMBEDDING: "local-sparse", TaskType.RERANK: "local-rerank"}


class ModelIdentities:
    """``<kind>|<digest of the model's weights and config>`` per ``service_settings.model``."""

    def __init__(self, *, clock: Callable[[], float] = time.monotonic) -> None:
        self._known: dict[str, tuple[float, str]] = {}
        self._clock = clock

    def of(
        self, model: str, locate: Callable[[], ModelLocation], *, task_type: TaskType = TaskType.TEXT_EMBEDDING
    ) -> str | None:
        """The identity of ``model`` (a directory, a known model id, a Hub model at its commit), whose
        files ``locate`` finds, for ``task_type``'s results; ``None`` for a task type whose results are
        not cached (completions).

        Raises:
            BadRequestError: the model cannot be found.
        """
        kind = KINDS.get(task_type)
        return None if kind is None else f"{kind}|{self._digest(model, locate)}"

    def _digest(self, model: str, locate: Callable[[], ModelLocation]) -> str:
        now = self._clock()
        known = self._known.get(model)
        if known is not None and known[0] > now:
            return known[1]
        digest = model_files_digest(locate().path, "embed-cache")
        self._known[model] = (now + REMEMBER_SECONDS, digest)
        return digest

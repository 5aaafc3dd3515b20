"""What a decode batch offers the scheduler, whatever the model's architecture."""

from __future__ import annotations

from typing import Any, Protocol


class DecodeBatch(Protocol):
    """Rows of generations that advance one token per :meth:`step`, each row its own request.

    Rows are numbered in the order they joined; :meth:`retain` renumbers the survivors in order.
    Every method runs on the compute thread.
    """

    penalize_prompt: bool
    engine: str
    """The engine's name, in errors and logs."""
    resumable: bool
    """Whether ``prefill([prompt + generated])`` does a row's next step (true of decoder-only models):
    after a failed step the scheduler rebuilds the batch that way, one row at a time.
    :meth:`prefill` of several prompts that raises may leave some of them added; the scheduler drops
    them with :meth:`retain`."""

    def prefill(self, prompts: list[list[int]]) -> Any:
        """Read new requests' prompts, add them as the last rows; the scores for each one's first token,
        one row per prompt (engines that can prefill several prompts in one pass do)."""
        ...

    def step(self, tokens: list[int]) -> Any:
        """Feed each row its latest token; the scores for every row's next token, one row each."""
        ...

    def retain(self, rows: list[int]) -> None:
        """Keep only ``rows`` (finished and cancelled requests leave the batch)."""
        ...

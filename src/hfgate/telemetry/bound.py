"""Label children bound once and then found with one dictionary look-up.

``metric.labels(...)`` validates the values and takes a lock on every call; on the hot path hfgate
keeps the child it got the first time, keyed by the label tuple it was asked with.
"""

from __future__ import annotations

from typing import Generic, Protocol, TypeVar

C = TypeVar("C", covariant=True)


class _Labelled(Protocol[C]):
    def labels(self, *values: str) -> C: ...


class Bound(Generic[C]):
    """The children of one labelled metric, cached by their label values.

    Example:
        >>> from prometheus_client import CollectorRegistry, Counter
        >>> hits = Bound(Counter("hits", "Hits.", ["face"], registry=CollectorRegistry()))
        >>> hits("openai").inc()
    """

    __slots__ = ("_children", "_metric")

    def __init__(self, metric: _Labelled[C]) -> None:
        self._metric = metric
        self._children: dict[tuple[str, ...], C] = {}

    def __call__(self, *values: str) -> C:
        child = self._children.get(values)
        if child is None:
            child = self._children[values] = self._metric.labels(*values)
        return child

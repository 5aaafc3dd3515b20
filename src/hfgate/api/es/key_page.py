"""``sort``, ``from`` and ``size`` of ``_security/_query/api_key``, as Elasticsearch reads them.

``sort`` is a field name, ``{"field": "desc"}``, ``{"field": {"order": "desc"}}`` or a list of these;
``_doc`` is the keys' creation order; a key without the field sorts last. Sorted keys carry ``_sort``.

Example:
    >>> docs = [{"id": "a", "name": "b"}, {"id": "b", "name": "a"}]
    >>> [d["id"] for d in page(docs, {"sort": "name"})]
    ['b', 'a']
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from hfgate.api.es.key_query import FIELDS, Doc, field_value
from hfgate.errors import RequestValidationError

DEFAULT_SIZE = 10
MAX_WINDOW = 10_000  # Elasticsearch's index.max_result_window


def page(docs: list[Doc], body: Mapping[str, Any]) -> list[Doc]:
    """The keys of the requested page, sorted (with ``_sort``) when ``sort`` is given."""
    start, size = _count(body, "from", 0), _count(body, "size", DEFAULT_SIZE)
    if start + size > MAX_WINDOW:
        raise RequestValidationError(
            [f"[from] + [size] must be at most [{MAX_WINDOW}], got [{start + size}]"], param="from"
        )
    orders = sort_orders(body.get("sort"))
    if orders:
        docs = _sorted(docs, orders)
    return docs[start : start + size]


def sort_orders(raw: object) -> list[tuple[str, bool]]:
    """``(field, descending)`` pairs from a ``sort`` value."""
    if raw is None:
        return []
    items = raw if isinstance(raw, list) else [raw]
    return [_order(item) for item in items]


def _order(item: object) -> tuple[str, bool]:
    if isinstance(item, str):
        return _sortable(item), False
    if isinstance(item, dict) and len(item) == 1:
        field, how = next(iter(item.items()))
        order = how.get("order", "asc") if isinstance(how, dict) else how
        if order in ("asc", "desc"):
            return _sortable(field), order == "desc"
    raise RequestValidationError(
        [f'[sort] entries are a field name or {{"field": "asc"|"desc"}}, got [{item}]'], param="sort"
    )


def _sortable(field: str) -> str:
    if field != "_doc" and (field == "id" or (field not in FIELDS and not field.startswith("metadata."))):
        allowed = [f for f in FIELDS if f != "id"]
        raise RequestValidationError(
            [f"[sort] cannot sort on [{field}]; sort on _doc, metadata.* or one of {allowed}"], param="sort"
        )
    return field


def _sorted(docs: list[Doc], orders: list[tuple[str, bool]]) -> list[Doc]:
    ranked = [dict(doc, _sort=[_value(doc, field, index) for field, _ in orders]) for index, doc in enumerate(docs)]
    for position in reversed(range(len(orders))):  # stable sorts, last key first
        descending = orders[position][1]
        present = [d for d in ranked if d["_sort"][position] is not None]
        missing = [d for d in ranked if d["_sort"][position] is None]
        present.sort(key=lambda d: _key(d["_sort"][position]), reverse=descending)
        ranked = present + missing
    return ranked


def _value(doc: Doc, field: str, index: int) -> Any:
    return index if field == "_doc" else field_value(doc, field)


def _key(value: Any) -> tuple[int, Any]:
    return (0, value) if isinstance(value, int | float) else (1, str(value))


def _count(body: Mapping[str, Any], field: str, default: int) -> int:
    value = body.get(field, default)
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        raise RequestValidationError([f"[{field}] must be a non-negative integer, got [{value}]"], param=field)
    return value

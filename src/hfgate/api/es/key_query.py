"""``_security/_query/api_key``: Elasticsearch's query DSL over the keys, as the clients send it.

The keys are few (one row each in the registry), so the query is read into a predicate and run over
them in Python. Supported: ``match_all``, ``bool`` (``must``, ``filter``, ``should``, ``must_not``,
``minimum_should_match``), ``term``, ``terms``, ``match`` (a keyword: same as ``term``), ``prefix``,
``wildcard``, ``ids``, ``exists`` and ``range`` (numbers, epoch milliseconds, ISO dates, ``now`` with
date math), on the fields Elasticsearch lets one query: ``id``, ``type``, ``name``, ``creation``,
``expiration``, ``invalidated``, ``invalidation``, ``username``, ``realm``, ``metadata.*``; then ``sort``,
``from`` and ``size``. Aggregations, ``search_after`` and ``simple_query_string`` are refused naming them.

Example:
    >>> docs = [{"id": "a", "name": "app-1"}, {"id": "b", "name": "ops"}]
    >>> [d["id"] for d in matching(docs, {"prefix": {"name": "app-"}})]
    ['a']
"""

from __future__ import annotations

import fnmatch
import re
import time
from collections.abc import Callable
from datetime import datetime
from typing import Any

from hfgate.errors import RequestValidationError

Doc = dict[str, Any]
Matcher = Callable[[Doc], bool]
FIELDS = ("id", "type", "name", "creation", "expiration", "invalidated", "invalidation", "username", "realm")
_UNITS_MS = {"y": 365 * 86_400_000, "M": 30 * 86_400_000, "w": 7 * 86_400_000, "d": 86_400_000,
             "h": 3_600_000, "H": 3_600_000, "m": 60_000, "s": 1000}  # fmt: skip
_MATH = re.compile(r"([+-])(\d+)([yMwdhHms])")
_ROUND = re.compile(r"/([yMwdhHms])$")
_RANGE_OPS: dict[str, Callable[[Any, Any], bool]] = {
    "gt": lambda a, b: a > b, "gte": lambda a, b: a >= b, "lt": lambda a, b: a < b, "lte": lambda a, b: a <= b,
}  # fmt: skip


def matching(docs: list[Doc], query: object) -> list[Doc]:
    """The documents ``query`` matches (every one when it is ``None``)."""
    test = _match_all if query is None else compile_query(query, where="query")
    return [doc for doc in docs if test(doc)]


def field_value(doc: Doc, field: str) -> Any:
    """A key document's field; ``metadata.a.b`` looks inside the key's metadata (``None`` when absent)."""
    if not field.startswith("metadata."):
        return doc.get(field)
    value: Any = doc.get("metadata")
    for part in field.removeprefix("metadata.").split("."):
        value = value.get(part) if isinstance(value, dict) else None
    return value


def _on_text(field: str, test: Callable[[str], bool]) -> Matcher:
    """A predicate on a text field; a document without text there does not match."""

    def matches(doc: Doc) -> bool:
        value = field_value(doc, field)
        return isinstance(value, str) and test(value)

    return matches


def compile_query(query: object, *, where: str) -> Matcher:
    """A predicate for one query object.

    Raises:
        RequestValidationError: a query type or field this API does not take, or a malformed clause.
    """
    if not isinstance(query, dict) or len(query) != 1:
        raise _bad(where, 'must be an object with exactly one query type, such as {"match_all": {}}')
    kind, spec = next(iter(query.items()))
    builder = _BUILDERS.get(kind)
    if builder is None:
        raise _bad(f"{where}.{kind}", f"is not a query type this API takes; use one of {sorted(_BUILDERS)}")
    return builder(spec, f"{where}.{kind}")


def _match_all(doc: Doc) -> bool:
    return True


def _bool(spec: object, where: str) -> Matcher:
    if not isinstance(spec, dict):
        raise _bad(where, "must be an object")
    unknown = sorted(set(spec) - {"must", "filter", "should", "must_not", "minimum_should_match", "boost"})
    if unknown:
        raise _bad(where, f"does not take {unknown}")
    parts = {key: _clauses(spec.get(key), f"{where}.{key}") for key in ("must", "filter", "should", "must_not")}
    required = parts["must"] + parts["filter"]
    wanted = spec.get("minimum_should_match", 0 if required else 1)
    if not isinstance(wanted, int) or isinstance(wanted, bool):
        raise _bad(f"{where}.minimum_should_match", "must be an integer")
    need = min(wanted, len(parts["should"]))

    def test(doc: Doc) -> bool:
        if not all(m(doc) for m in required) or any(m(doc) for m in parts["must_not"]):
            return False
        return sum(1 for m in parts["should"] if m(doc)) >= need

    return test


def _clauses(raw: object, where: str) -> list[Matcher]:
    if raw is None:
        return []
    items = raw if isinstance(raw, list) else [raw]
    return [compile_query(item, where=f"{where}[{i}]") for i, item in enumerate(items)]


def _field_value(spec: object, where: str, *, key: str = "value") -> tuple[str, Any, bool]:
    """``{field: value}`` or ``{field: {"value": v, "case_insensitive": b}}``."""
    if not isinstance(spec, dict) or len(spec) != 1:
        raise _bad(where, 'must be an object with one field, such as {"name": "my-key"}')
    field, raw = next(iter(spec.items()))
    _check_field(field, where)
    if isinstance(raw, dict):
        if key not in raw:
            raise _bad(f"{where}.{field}", f"needs [{key}]")
        return field, raw[key], bool(raw.get("case_insensitive", False))
    return field, raw, False


def _term(spec: object, where: str) -> Matcher:
    field, value, fold = _field_value(spec, where)
    return lambda doc: _equal(field_value(doc, field), value, fold=fold)


def _match(spec: object, where: str) -> Matcher:
    field, value, fold = _field_value(spec, where, key="query")
    return lambda doc: _equal(field_value(doc, field), value, fold=fold)


def _terms(spec: object, where: str) -> Matcher:
    fields = {k: v for k, v in spec.items() if k != "boost"} if isinstance(spec, dict) else {}
    if len(fields) != 1 or not isinstance(next(iter(fields.values())), list):
        raise _bad(where, 'must be an object with one field and a list of values, such as {"name": ["a", "b"]}')
    field, values = next(iter(fields.items()))
    _check_field(field, where)
    return lambda doc: any(_equal(field_value(doc, field), value, fold=False) for value in values)


def _prefix(spec: object, where: str) -> Matcher:
    field, value, fold = _field_value(spec, where)
    prefix = _folded(str(value), fold)
    return _on_text(field, lambda text: _folded(text, fold).startswith(prefix))


def _wildcard(spec: object, where: str) -> Matcher:
    if isinstance(spec, dict) and len(spec) == 1 and isinstance(next(iter(spec.values())), dict):
        inner = next(iter(spec.values()))
        key = "wildcard" if "wildcard" in inner else "value"
    else:
        key = "value"
    field, value, fold = _field_value(spec, where, key=key)
    pattern = re.compile(fnmatch.translate(_folded(str(value), fold)))
    return _on_text(field, lambda text: pattern.fullmatch(_folded(text, fold)) is not None)


def _ids(spec: object, where: str) -> Matcher:
    values = spec.get("values") if isinstance(spec, dict) else None
    if not isinstance(values, list):
        raise _bad(where, 'must be {"values": [key ids]}')
    return lambda doc: doc["id"] in values


def _exists(spec: object, where: str) -> Matcher:
    field = spec.get("field") if isinstance(spec, dict) else None
    if not isinstance(field, str):
        raise _bad(where, 'must be {"field": name}')
    _check_field(field, where)
    return lambda doc: field_value(doc, field) is not None


def _range(spec: object, where: str) -> Matcher:
    if not isinstance(spec, dict) or len(spec) != 1 or not isinstance(next(iter(spec.values())), dict):
        raise _bad(where, 'must be an object with one field, such as {"expiration": {"lte": "now+30d"}}')
    field, bounds = next(iter(spec.items()))
    _check_field(field, where)
    unknown = sorted(set(bounds) - set(_RANGE_OPS) - {"format", "time_zone", "boost"})
    if unknown:
        raise _bad(f"{where}.{field}", f"does not take {unknown}; use gt, gte, lt, lte")
    limits = [(op, _comparable(bounds[op], where=f"{where}.{field}.{op}")) for op in _RANGE_OPS if op in bounds]

    def test(doc: Doc) -> bool:
        value = field_value(doc, field)
        if value is None:
            return False
        try:
            return all(_RANGE_OPS[op](value, limit) for op, limit in limits)
        except TypeError:  # a date field against a string bound: never in range
            return False

    return test


def _comparable(raw: object, *, where: str) -> Any:
    """A bound: a number or string as given, dates (``now-1d/d``, ISO 8601) as epoch milliseconds."""
    if isinstance(raw, bool) or raw is None:
        raise _bad(where, "must be a number, a date or a string")
    if isinstance(raw, int | float) or not isinstance(raw, str):
        return raw
    if raw.startswith("now"):
        return _date_math(raw, where=where)
    try:
        return int(datetime.fromisoformat(raw.replace("Z", "+00:00")).timestamp() * 1000)
    except ValueError:
        return raw  # a keyword bound (names compare as strings)


def _date_math(raw: str, *, where: str) -> int:
    rest, rounding = raw[3:], _ROUND.search(raw)
    if rounding:
        rest = rest[: rounding.start() - 3]
    steps = _MATH.findall(rest)
    if "".join(sign + n + unit for sign, n, unit in steps) != rest:
        raise _bad(where, f"[{raw}] is not date math such as [now], [now-7d] or [now+1h/h]")
    moment = int(time.time() * 1000) + sum((1 if s == "+" else -1) * int(n) * _UNITS_MS[u] for s, n, u in steps)
    if rounding:
        unit = _UNITS_MS[rounding.group(1)]
        moment -= moment % unit
    return moment


def _equal(have: object, want: object, *, fold: bool) -> bool:
    if isinstance(have, bool):
        # true matches true and "true" only: a boolean is no match for a word such as "this"
        return have == want if isinstance(want, bool) else str(want).lower() == str(have).lower()
    if isinstance(have, str):
        return _folded(have, fold) == _folded(str(want), fold)
    return have == want


def _folded(text: str, fold: bool) -> str:
    return text.lower() if fold else text


def _check_field(field: object, where: str) -> None:
    if not isinstance(field, str) or (field not in FIELDS and not field.startswith("metadata.")):
        raise _bad(
            where, f"field [{field}] is not allowed for querying API keys; use one of {list(FIELDS)} or metadata.*"
        )


def _bad(where: str, problem: str) -> RequestValidationError:
    return RequestValidationError([f"[{where}] {problem}"], param="query")


_BUILDERS: dict[str, Callable[[object, str], Matcher]] = {
    "match_all": lambda spec, where: _match_all,
    "bool": _bool,
    "term": _term,
    "terms": _terms,
    "match": _match,
    "prefix": _prefix,
    "wildcard": _wildcard,
    "ids": _ids,
    "exists": _exists,
    "range": _range,
}

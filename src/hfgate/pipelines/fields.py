"""Reading a Hub task's ``inputs`` and ``parameters``: every refusal names the field and what to send."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from hfgate.errors import EmptyInputError, RequestValidationError


def json_kind(value: Any) -> str:
    """``value``'s JSON type, for messages."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    return {str: "string", int: "number", float: "number", list: "array", dict: "object"}.get(type(value), "value")


def texts(inputs: Any, *, name: str = "inputs") -> tuple[tuple[str, ...], bool]:
    """``inputs`` as texts: one string, or an array of them (then ``True``: the answer is one per text).

    Raises:
        EmptyInputError: an empty string or array.
        RequestValidationError: neither a string nor an array of strings.
    """
    if isinstance(inputs, str):
        return (_text(inputs, name),), False
    if isinstance(inputs, list) and inputs and all(isinstance(t, str) for t in inputs):
        return tuple(_text(t, f"{name}[{i}]") for i, t in enumerate(inputs)), True
    if isinstance(inputs, list) and not inputs:
        raise EmptyInputError([f"`{name}` cannot be empty"], param=name)
    raise RequestValidationError(
        [f"`{name}` must be a string or an array of strings, got [{json_kind(inputs)}]"], param=name
    )


def _text(value: str, name: str) -> str:
    if not value.strip():
        raise EmptyInputError([f"`{name}` cannot be empty"], param=name)
    return value


def text(inputs: Any, *, name: str = "inputs") -> str:
    """One non-empty string.

    Raises:
        RequestValidationError: not a string, or an empty one.
    """
    if not isinstance(inputs, str):
        raise RequestValidationError([f"`{name}` must be a string, got [{json_kind(inputs)}]"], param=name)
    return _text(inputs, name)


def obj(inputs: Any, *, name: str = "inputs", keys: Sequence[str]) -> Mapping[str, Any]:
    """An object holding ``keys``.

    Raises:
        RequestValidationError: not an object, or a key missing.
    """
    if not isinstance(inputs, dict):
        wanted = ", ".join(f'"{k}": …' for k in keys)
        raise RequestValidationError(
            [f"`{name}` must be an object {{{wanted}}}, got [{json_kind(inputs)}]"], param=name
        )
    missing = [k for k in keys if inputs.get(k) is None]
    if missing:
        raise RequestValidationError([f"`{name}.{missing[0]}` is required"], param=f"{name}.{missing[0]}")
    return inputs


class Parameters:
    """A request's ``parameters``, read one by one; names outside ``accepted`` are refused.

    Raises:
        RequestValidationError: ``parameters`` is not an object, or holds a name the task does not take.
    """

    def __init__(self, raw: Any, *, accepted: Sequence[str]) -> None:
        if raw is None:
            raw = {}
        if not isinstance(raw, dict):
            raise RequestValidationError(
                [f"`parameters` must be an object, got [{json_kind(raw)}]"], param="parameters"
            )
        unknown = sorted(set(raw) - set(accepted))
        if unknown:
            raise RequestValidationError(
                [f"`parameters.{unknown[0]}` is not a parameter of this task; it takes: {', '.join(accepted)}"],
                param=f"parameters.{unknown[0]}",
            )
        self._raw = {k: v for k, v in raw.items() if v is not None}

    def given(self, name: str) -> bool:
        return name in self._raw

    def integer(self, name: str, *, minimum: int = 1, maximum: int | None = None) -> int | None:
        value = self._raw.get(name)
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, int) or value < minimum or (maximum and value > maximum):
            bound = f"between {minimum} and {maximum}" if maximum else f"at least {minimum}"
            raise self.invalid(name, f"must be an integer {bound}, got [{value!r}]")
        return value

    def number(self, name: str, *, minimum: float = 0.0) -> float | None:
        value = self._raw.get(name)
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, int | float) or value < minimum:
            raise self.invalid(name, f"must be a number of at least {minimum:g}, got [{value!r}]")
        return float(value)

    def flag(self, name: str) -> bool | None:
        value = self._raw.get(name)
        if value is None or isinstance(value, bool):
            return value
        raise self.invalid(name, f"must be true or false, got [{json_kind(value)}]")

    def string(self, name: str) -> str | None:
        value = self._raw.get(name)
        if value is None or (isinstance(value, str) and value):
            return value
        raise self.invalid(name, f"must be a non-empty string, got [{json_kind(value)}]")

    def choice(self, name: str, choices: Sequence[str]) -> str | None:
        value = self._raw.get(name)
        if value is None:
            return None
        if not isinstance(value, str) or value.lower() not in choices:
            raise self.invalid(name, f"must be one of {', '.join(choices)}, got [{value!r}]")
        return value.lower()

    def strings(self, name: str) -> tuple[str, ...] | None:
        """An array of non-empty strings (or one string with commas, as the pipelines take labels)."""
        value = self._raw.get(name)
        if value is None:
            return None
        if isinstance(value, str):
            value = [part.strip() for part in value.split(",") if part.strip()]
        if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
            raise self.invalid(name, f"must be an array of non-empty strings, got [{json_kind(value)}]")
        if not value:
            raise self.invalid(name, "cannot be empty")
        return tuple(value)

    def mapping(self, name: str) -> Mapping[str, Any]:
        value = self._raw.get(name)
        if value is None:
            return {}
        if not isinstance(value, dict):
            raise self.invalid(name, f"must be an object, got [{json_kind(value)}]")
        return value

    @staticmethod
    def invalid(name: str, problem: str) -> RequestValidationError:
        return RequestValidationError([f"`parameters.{name}` {problem}"], param=f"parameters.{name}")


def filtered(values: Mapping[str, Any]) -> dict[str, Any]:
    """``values`` without its ``None`` ones (what the Inference API is sent)."""
    return {k: v for k, v in values.items() if v is not None}

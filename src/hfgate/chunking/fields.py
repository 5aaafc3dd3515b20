"""Read typed fields out of a ``chunking_settings`` map, collecting Elasticsearch's messages.

Elasticsearch validates chunking settings with a handful of helpers (``InferenceUtils`` in its
x-pack core) that never stop at the first problem: each appends a message to a
``ValidationException`` and the caller throws once, as ``Validation Failed: 1: …;2: …;``.
:class:`Problems` plays that role here, and the helpers below reproduce the messages word for word,
including Java's rendering of the offending value (``5.0`` for a bound, ``null`` for JSON null).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal

from hfgate.errors import ChunkingSettingsError

SCOPE = "chunking_settings"

# Jackson hands a JSON integer to Elasticsearch as an Integer only when it fits in 32 bits; anything
# larger arrives as a Long and fails the ``Integer`` type check like a string would.
_INT_MIN, _INT_MAX = -(2**31), 2**31 - 1


@dataclass
class Problems:
    """The messages found so far, rendered the way ``ValidationException.getMessage()`` does."""

    messages: list[str] = field(default_factory=list)

    def add(self, message: str) -> None:
        """Record one problem."""
        self.messages.append(message)

    def raise_if_any(self) -> None:
        """Raise :class:`ChunkingSettingsError` listing every problem, if there is one.

        Raises:
            ChunkingSettingsError: ``Validation Failed: 1: …;2: …;`` when problems were recorded.
        """
        if self.messages:
            listed = "".join(f"{n}: {m};" for n, m in enumerate(self.messages, start=1))
            raise ChunkingSettingsError(f"Validation Failed: {listed}")


def java_str(value: object) -> str:
    """Render ``value`` as Java's ``String.valueOf`` would render the parsed JSON value."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return java_double(value)
    if isinstance(value, list | tuple):
        return "[" + ", ".join(java_str(v) for v in value) + "]"
    if isinstance(value, Mapping):
        return "{" + ", ".join(f"{java_str(k)}={java_str(v)}" for k, v in value.items()) + "}"
    return str(value)


def java_double(value: float) -> str:
    """Render a number as ``Double.toString`` does: ``10.0``, ``0.001``, ``1.0E20``."""
    value = float(value)
    if math.isnan(value) or math.isinf(value):
        return "NaN" if math.isnan(value) else ("Infinity" if value > 0 else "-Infinity")
    if value == 0 or 1e-3 <= abs(value) < 1e7:
        # In this range Python's repr is already Java's: shortest round-trip digits, decimal form.
        return repr(value)
    sign, digits, exponent = Decimal(repr(value)).as_tuple()
    assert isinstance(exponent, int)
    text = "".join(map(str, digits)).rstrip("0") or "0"
    power = len(digits) - 1 + exponent
    return f"{'-' if sign else ''}{text[0]}.{text[1:] or '0'}E{power}"


def is_java_int(value: object) -> bool:
    """Whether Elasticsearch would see ``value`` as an ``Integer`` (not bool, not float, 32-bit)."""
    return isinstance(value, int) and not isinstance(value, bool) and _INT_MIN <= value <= _INT_MAX


def invalid_type(key: str, value: object, *, expected: str) -> str:
    """ES's message for a value of the wrong type."""
    return (
        f"field [{key}] is not of the expected type. "
        f"The value [{java_str(value)}] cannot be converted to a [{expected}]"
    )


def optional_int(settings: Mapping[str, object], key: str, *, problems: Problems) -> int | None:
    """The integer at ``key``; ``None`` when absent, JSON null, or of the wrong type (recorded)."""
    value = settings.get(key)
    if value is None:
        return None
    if not is_java_int(value):
        problems.add(invalid_type(key, value, expected="Integer"))
        return None
    assert isinstance(value, int)
    return value


def required_positive_int(settings: Mapping[str, object], key: str, *, problems: Problems) -> int | None:
    """A required integer above zero, or ``None`` after recording why it is not one."""
    before = len(problems.messages)
    value = optional_int(settings, key, problems=problems)
    if len(problems.messages) > before:
        return None
    if value is None:
        problems.add(f"[{SCOPE}] does not contain the required setting [{key}]")
        return None
    if value <= 0:
        problems.add(f"[{SCOPE}] Invalid value [{value}]. [{key}] must be a positive integer")
        return None
    return value


def required_int_at_least(settings: Mapping[str, object], key: str, *, minimum: int, problems: Problems) -> int | None:
    """A required positive integer no smaller than ``minimum``; ``None`` if it is not one."""
    value = required_positive_int(settings, key, problems=problems)
    if value is not None and value < minimum:
        problems.add(
            f"[{SCOPE}] Invalid value [{java_double(value)}]. "
            f"[{key}] must be greater than or equal to [{java_double(minimum)}]"
        )
        return None
    return value


def required_int_at_most(settings: Mapping[str, object], key: str, *, maximum: int, problems: Problems) -> int | None:
    """A required positive integer no larger than ``maximum``, else ``None`` (problem recorded)."""
    value = required_positive_int(settings, key, problems=problems)
    if value is not None and value > maximum:
        problems.add(
            f"[{SCOPE}] Invalid value [{java_double(value)}]. "
            f"[{key}] must be less than or equal to [{java_double(maximum)}]"
        )
        return None
    return value


def optional_string(settings: Mapping[str, object], key: str, *, problems: Problems) -> str | None:
    """A non-empty string at ``key``; ``None`` when absent or invalid (problem recorded)."""
    value = settings.get(key)
    if value is None:
        return None
    if not isinstance(value, str):
        problems.add(invalid_type(key, value, expected="String"))
        return None
    if not value:
        problems.add(f"[{SCOPE}] Invalid value empty string. [{key}] must be a non-empty string")
        return None
    return value


def optional_string_list(settings: Mapping[str, object], key: str, *, problems: Problems) -> list[str] | None:
    """A list of strings at ``key``; ``None`` when absent or invalid (one problem per bad item)."""
    value = settings.get(key)
    if value is None:
        return None
    if not isinstance(value, list | tuple):
        problems.add(invalid_type(key, value, expected="List"))
        return None
    bad = [item for item in value if not isinstance(item, str)]
    for item in bad:
        problems.add(invalid_type(key, item, expected="String"))
    return None if bad else [str(item) for item in value]


def unknown_keys(settings: Mapping[str, object], allowed: frozenset[str]) -> str | None:
    """``[a, b]``: the keys outside ``allowed`` in Java's list format, or ``None`` if there are none."""
    extra = [java_str(key) for key in settings if key not in allowed]
    return "[" + ", ".join(extra) + "]" if extra else None

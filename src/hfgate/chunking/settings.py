"""``chunking_settings``: parse, validate and normalise, exactly as Elasticsearch does.

A settings map becomes one of four frozen dataclasses; :func:`validate_chunking_settings` turns it back
into the dict the registry stores and ``GET _inference`` returns, with every default filled in.
Messages and their order follow Elasticsearch's ``ChunkingSettingsBuilder`` and the four
``*ChunkingSettings.fromMap`` methods (see ``docs/chunking.md`` for the full list).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Final

from hfgate.chunking.fields import (
    SCOPE,
    Problems,
    invalid_type,
    java_str,
    optional_int,
    optional_string,
    optional_string_list,
    required_int_at_least,
    required_int_at_most,
    unknown_keys,
)
from hfgate.errors import ChunkingSettingsError

# Elasticsearch's SeparatorGroup; the regexes are Java's, and Python's ``re`` reads them the same way.
SEPARATOR_GROUPS: Final[dict[str, tuple[str, ...]]] = {
    "plaintext": (r"(?<!\n)\n\n(?!\n)", r"(?<!\n)\n(?!\n)"),
    "markdown": (
        "\n# ",
        "\n## ",
        "\n### ",
        "\n#### ",
        "\n##### ",
        "\n###### ",
        "\n^(?!\\s*$).*\\n-{1,}\\n",
        "\n^(?!\\s*$).*\\n={1,}\\n",
    ),
}
MAX_SEPARATORS: Final = 50
WORD_MIN_CHUNK_SIZE: Final = 10
SENTENCE_MIN_CHUNK_SIZE: Final = 20
RECURSIVE_MIN_CHUNK_SIZE: Final = 10


@dataclass(frozen=True, slots=True)
class WordSettings:
    """``word``: windows of ``max_chunk_size`` words, each starting ``overlap`` words back."""

    max_chunk_size: int
    overlap: int

    def as_dict(self) -> dict[str, object]:
        """The stored form, as ``GET _inference`` returns it."""
        return {"strategy": "word", "max_chunk_size": self.max_chunk_size, "overlap": self.overlap}


@dataclass(frozen=True, slots=True)
class SentenceSettings:
    """``sentence``: whole sentences packed up to ``max_chunk_size`` words."""

    max_chunk_size: int
    sentence_overlap: int = 1

    def as_dict(self) -> dict[str, object]:
        """The stored form, as ``GET _inference`` returns it."""
        return {
            "strategy": "sentence",
            "max_chunk_size": self.max_chunk_size,
            "sentence_overlap": self.sentence_overlap,
        }


@dataclass(frozen=True, slots=True)
class RecursiveSettings:
    """``recursive``: split on each separator regex in turn, then fall back to sentences."""

    max_chunk_size: int
    separators: tuple[str, ...] = SEPARATOR_GROUPS["plaintext"]

    def as_dict(self) -> dict[str, object]:
        """The stored form; like Elasticsearch it lists the separators, not the group name."""
        return {
            "strategy": "recursive",
            "max_chunk_size": self.max_chunk_size,
            "separators": list(self.separators),
        }


@dataclass(frozen=True, slots=True)
class NoneSettings:
    """``none``: the whole input is one chunk."""

    def as_dict(self) -> dict[str, object]:
        """The stored form, as ``GET _inference`` returns it."""
        return {"strategy": "none"}


ChunkingSettings = WordSettings | SentenceSettings | RecursiveSettings | NoneSettings

DEFAULT_SETTINGS: Final = SentenceSettings(max_chunk_size=250, sentence_overlap=1)
# Read-only: callers copy it (dict(...)) or use validate_chunking_settings(None).
DEFAULT_CHUNKING_SETTINGS: Final[Mapping[str, object]] = MappingProxyType(DEFAULT_SETTINGS.as_dict())


def _parse_word(raw: Mapping[str, object], problems: Problems) -> WordSettings | None:
    extra = unknown_keys(raw, frozenset({"strategy", "max_chunk_size", "overlap"}))
    if extra:
        problems.add(f"Word based chunking settings can not have the following settings: {extra}")
    size = required_int_at_least(raw, "max_chunk_size", minimum=WORD_MIN_CHUNK_SIZE, problems=problems)
    # Elasticsearch only looks at overlap once it has a valid size to bound it with.
    overlap = None if size is None else required_int_at_most(raw, "overlap", maximum=size // 2, problems=problems)
    if size is None or overlap is None:
        return None
    return WordSettings(max_chunk_size=size, overlap=overlap)


def _parse_sentence(raw: Mapping[str, object], problems: Problems) -> SentenceSettings | None:
    extra = unknown_keys(raw, frozenset({"strategy", "max_chunk_size", "sentence_overlap"}))
    if extra:
        problems.add(f"Sentence based chunking settings can not have the following settings: {extra}")
    size = required_int_at_least(raw, "max_chunk_size", minimum=SENTENCE_MIN_CHUNK_SIZE, problems=problems)
    overlap = optional_int(raw, "sentence_overlap", problems=problems)
    if overlap is not None and overlap not in (0, 1):
        problems.add(f"sentence_overlap[{overlap}] must be either 0 or 1")
    if size is None or problems.messages:
        return None
    return SentenceSettings(max_chunk_size=size, sentence_overlap=1 if overlap is None else overlap)


def _separator_group(raw: Mapping[str, object], problems: Problems) -> tuple[str, ...] | None:
    name = optional_string(raw, "separator_group", problems=problems)
    if name is None:
        return None
    group = SEPARATOR_GROUPS.get(name.strip().lower())
    if group is None:
        choices = ", ".join(sorted(SEPARATOR_GROUPS))
        problems.add(f"[{SCOPE}] Invalid value [{name}] received. [separator_group] must be one of [{choices}]")
    return group


def _check_regexes(separators: tuple[str, ...], problems: Problems) -> None:
    # Not in Elasticsearch (a bad regex fails there at inference time, as a 500); caught here instead.
    for separator in separators:
        try:
            re.compile(separator, re.MULTILINE)
        except re.error as exc:
            problems.add(f"[{SCOPE}] Invalid value [{separator}]. [separators] must be regular expressions: {exc}")


def _parse_recursive(raw: Mapping[str, object], problems: Problems) -> RecursiveSettings | None:
    allowed = frozenset({"strategy", "max_chunk_size", "separator_group", "separators"})
    extra = unknown_keys(raw, allowed)
    if extra:
        problems.add(f"Recursive chunking settings can not have the following settings: {extra}")
    size = required_int_at_least(raw, "max_chunk_size", minimum=RECURSIVE_MIN_CHUNK_SIZE, problems=problems)
    group = _separator_group(raw, problems)
    listed = optional_string_list(raw, "separators", problems=problems)
    if listed is not None and group is not None:
        problems.add("Recursive chunking settings can not have both separators and separator_set")
    separators = group if group is not None else (None if listed is None else tuple(listed))
    if group is None and separators == ():
        problems.add("Recursive chunking settings can not have an empty list of separators")
    if separators is not None and len(separators) > MAX_SEPARATORS:
        problems.add(f"separators list size [{len(separators)}] must not exceed [{MAX_SEPARATORS}]")
    if separators:
        _check_regexes(separators, problems)
    if size is None or problems.messages:
        return None
    return RecursiveSettings(max_chunk_size=size, separators=separators or SEPARATOR_GROUPS["plaintext"])


def _parse_none(raw: Mapping[str, object], problems: Problems) -> NoneSettings:
    extra = unknown_keys(raw, frozenset({"strategy"}))
    if extra:
        problems.add(f"When chunking is disabled (none), settings can not have the following: {extra}")
    return NoneSettings()


_PARSERS: Final[dict[str, Callable[[Mapping[str, object], Problems], ChunkingSettings | None]]] = {
    "word": _parse_word,
    "sentence": _parse_sentence,
    "recursive": _parse_recursive,
    "none": _parse_none,
}


def parse_chunking_settings(raw: Mapping[str, object] | ChunkingSettings | None) -> ChunkingSettings:
    """Turn a ``chunking_settings`` map into typed settings, validating it as Elasticsearch does.

    Args:
        raw: the map from the request or the registry; ``None`` or ``{}`` means the default
            (sentence, 250 words, overlap 1). Already-parsed settings are returned unchanged.

    Raises:
        ChunkingSettingsError: with Elasticsearch's message; ``Validation Failed: 1: …;`` when one or
            more fields are wrong, or the plain strategy message when ``strategy`` is missing or unknown.

    Example:
        >>> parse_chunking_settings({"strategy": "word", "max_chunk_size": 100, "overlap": 10})
        WordSettings(max_chunk_size=100, overlap=10)
    """
    if raw is None:
        return DEFAULT_SETTINGS
    if isinstance(raw, WordSettings | SentenceSettings | RecursiveSettings | NoneSettings):
        return raw
    if not isinstance(raw, Mapping):
        raise ChunkingSettingsError(invalid_type("chunking_settings", raw, expected="Map"))
    if not raw:
        return DEFAULT_SETTINGS
    if "strategy" not in raw:
        raise ChunkingSettingsError("Can't generate Chunker without ChunkingStrategy provided")
    strategy = java_str(raw["strategy"])
    parser = _PARSERS.get(strategy)
    if parser is None:
        raise ChunkingSettingsError(f"Invalid chunkingStrategy {strategy}")
    problems = Problems()
    parsed = parser(raw, problems)
    problems.raise_if_any()
    assert parsed is not None
    return parsed


def validate_chunking_settings(raw: Mapping[str, object] | None) -> dict[str, object]:
    """Validate ``chunking_settings`` and return them with every default filled in.

    This is the form the registry stores and ``GET _inference`` returns; feeding it back in gives
    the same dict.

    Args:
        raw: the request's ``chunking_settings``; ``None`` or ``{}`` gives the default.

    Raises:
        ChunkingSettingsError: with Elasticsearch's validation message.

    Example:
        >>> validate_chunking_settings({"strategy": "sentence", "max_chunk_size": 100})
        {'strategy': 'sentence', 'max_chunk_size': 100, 'sentence_overlap': 1}
    """
    return parse_chunking_settings(raw).as_dict()

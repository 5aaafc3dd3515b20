"""The text put before each input, by what the input is for (Elasticsearch's ``input_type``).

sentence-transformers keeps a model's prompts in ``config_sentence_transformers.json``: ``prompts``
(name → text) and ``default_prompt_name`` (the one used when the caller names none). We read them,
and fall back on a preset's known prompts (E5's ``query: ``/``passage: ``) when the files have none
(sentence-transformers 5 and later save ``{"query": "", "document": ""}``: empty prompts are none).
``search`` asks for the query prompt, ``ingest`` for the passage (or document) prompt; classification
and clustering are symmetric tasks, which E5 embeds as queries. No ``input_type`` (the OpenAI face, a
plain ES call) uses the default prompt.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from hfgate.local.presets import preset
from hfgate.tasks import InputType

_NAMES: dict[InputType, tuple[str, ...]] = {
    InputType.SEARCH: ("query", "search_query"),
    InputType.INGEST: ("passage", "document", "search_document"),
    InputType.CLASSIFICATION: ("classification", "query"),
    InputType.CLUSTERING: ("clustering", "query"),
}


@dataclass(frozen=True, slots=True)
class Prompts:
    """A model's prompts by name, and the name used when the request says nothing."""

    by_name: Mapping[str, str]
    default: str | None = None

    def prefix(self, input_type: InputType | None) -> str:
        """The text before each input of a request for ``input_type``; empty when the model has none."""
        names = _NAMES[input_type] if input_type is not None else (self.default,)
        return next((self.by_name[n] for n in names if n is not None and n in self.by_name), "")


@functools.lru_cache(maxsize=128)
def model_prompts(path: Path, model: str) -> Prompts:
    """``path``'s own prompts when its ``config_sentence_transformers.json`` names some, else those of
    the preset ``model`` names; read once per model folder (a Hub snapshot's is per commit)."""
    config = path / "config_sentence_transformers.json"
    own = json.loads(config.read_text()) if config.is_file() else {}
    if any((own.get("prompts") or {}).values()):  # sentence-transformers 5+ saves empty query/document prompts
        return Prompts(by_name=dict(own["prompts"]), default=own.get("default_prompt_name"))
    known = preset(model)
    if known is not None and known.prompts:
        return Prompts(by_name=dict(known.prompts), default=known.default_prompt)
    return Prompts(by_name={})

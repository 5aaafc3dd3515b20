"""The embedding models Elasticsearch's ``hugging_face`` service recommends, by short name: each is a
Hub model fetched on its first use (never at start-up), with the prefixes it was trained with.

The list is the one in Elasticsearch's ``hugging_face`` docs (``/work/shared/reference/hf-es-2026.md``:
all-MiniLM-L6-v2 and L12, all-mpnet-base-v2, e5-small/base-v2, multilingual-e5-small/base).
all-MiniLM-L6-v2 is also carried by a package (``catalog.KNOWN_MODELS``), which wins: no download.

E5 models were trained with ``query: `` before queries and ``passage: `` before passages, and want
``query: `` for symmetric tasks (the intfloat/e5-* model cards, "Use 'query: ' prefix for symmetric
tasks such as semantic similarity"); Elasticsearch's request ``input_type`` says which a text is.

One image-and-text model, for the ``embedding`` task with images: sentence-transformers/clip-ViT-B-32
(OpenAI's CLIP ViT-B/32, ~600 MB of float32 weights in its ``0_CLIPModel`` module, 512 dimensions); the
weights are OpenAI's, released under the MIT licence (github.com/openai/CLIP); the repository's model card
declares no licence of its own.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

E5_PROMPTS: Mapping[str, str] = MappingProxyType({"query": "query: ", "passage": "passage: "})


@dataclass(frozen=True, slots=True)
class Preset:
    """A recommended Hub model: its id, and the prompts to use when its files name none
    (``config_sentence_transformers.json`` ``prompts`` wins when present)."""

    repo_id: str
    prompts: Mapping[str, str] = field(default_factory=dict)
    default_prompt: str | None = None


PRESETS: dict[str, Preset] = {
    preset.repo_id: preset
    for preset in (
        Preset("sentence-transformers/all-MiniLM-L6-v2"),
        Preset("sentence-transformers/all-MiniLM-L12-v2"),
        Preset("sentence-transformers/all-mpnet-base-v2"),
        Preset("intfloat/e5-small-v2", E5_PROMPTS, "query"),
        Preset("intfloat/e5-base-v2", E5_PROMPTS, "query"),
        Preset("intfloat/multilingual-e5-small", E5_PROMPTS, "query"),
        Preset("intfloat/multilingual-e5-base", E5_PROMPTS, "query"),
        Preset("sentence-transformers/clip-ViT-B-32"),  # text and images in one space (local/embedding/image_text.py)
    )
}
_BY_NAME = {repo.lower(): repo for repo in PRESETS} | {repo.split("/")[1].lower(): repo for repo in PRESETS}


def preset(name: str) -> Preset | None:
    """The preset ``name`` names (its Hub id or its short name, any case), else ``None``.

    Example:
        >>> preset("e5-small-v2").repo_id
        'intfloat/e5-small-v2'
    """
    repo = _BY_NAME.get(name.lower())
    return None if repo is None else PRESETS[repo]

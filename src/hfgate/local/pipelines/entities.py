"""A token classifier's scores made into the entities a client reads, as transformers' ``TokenClassificationPipeline``
makes them (its ``gather_pre_entities``, ``aggregate``, ``group_entities`` and ``aggregate_overlapping_entities``;
the tests compare the two on the same weights).

For each window of a text: its tokens (special tokens left out), each with its label scores (a softmax), its
offsets into the whole text and whether it continues the word before it; then, by ``aggregation_strategy``:

- ``none``: each token with its best label (``entity``) and its place in the window (``index``);
- ``simple``: the same, then adjacent tokens of the same tag joined (a ``B-`` label starts a new entity);
- ``first``, ``average``, ``max``: the tokens of a word first made one (its first token's label, the mean of
  its tokens' scores, or its most confident token's), then joined as ``simple`` joins tokens.

Entities whose label is in ``ignore_labels`` are dropped. Across overlapping windows, of entities that overlap
the longer one is kept (the more confident of two equally long).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

import numpy as np

if TYPE_CHECKING:
    from numpy.typing import NDArray

Entity = dict[str, Any]


class Vocabulary(Protocol):
    """What the aggregation asks of the model's tokenizer (``TextTokenizer``)."""

    @property
    def word_aware(self) -> bool: ...

    @property
    def unknown_id(self) -> int | None: ...

    def join(self, tokens: Sequence[str]) -> str: ...


@dataclass(frozen=True, slots=True)
class Token:
    """One token of a window: its piece (the text it covers, for the unknown token), its label scores, its place
    in the window and in the text, and whether it continues the word before it."""

    word: str
    scores: NDArray[np.float32]
    index: int
    start: int
    end: int
    is_subword: bool


def softmax(logits: NDArray[np.float32]) -> NDArray[np.float32]:
    """Each token's label scores from its logits, in float32 as the pipeline computes them."""
    shifted = np.exp(logits - logits.max(axis=-1, keepdims=True))
    scores: NDArray[np.float32] = shifted / shifted.sum(axis=-1, keepdims=True)
    return scores


def text_entities(
    windows: Sequence[tuple[Any, NDArray[np.float32]]],
    *,
    text: str,
    strategy: str,
    ignore: Sequence[str],
    labels: Sequence[str],
    vocabulary: Vocabulary,
) -> list[Entity]:
    """The entities of ``text``, read in ``windows`` (each a ``tokenizers.Encoding`` and its tokens' scores).

    Example:
        >>> (encoding,) = tokenizer.encode_as_written([text := "Marie lives in Paris"])
        >>> text_entities([(encoding, scores)], text=text, strategy="simple", ignore=["O"], labels=labels,
        ...               vocabulary=tokenizer)
        [{'entity_group': 'PER', 'score': 0.98, 'word': 'marie', 'start': 0, 'end': 5}, ...]
    """
    found: list[Entity] = []
    key = "entity" if strategy == "none" else "entity_group"
    for encoding, scores in windows:
        tokens = gather(encoding, scores, text=text, vocabulary=vocabulary)
        found += [each for each in aggregate(tokens, strategy, labels, vocabulary) if each[key] not in ignore]
    return merge_windows(found) if len(windows) > 1 else found


def gather(encoding: Any, scores: NDArray[np.float32], *, text: str, vocabulary: Vocabulary) -> list[Token]:
    """The tokens of one window, special tokens left out.

    A token continues a word when the vocabulary marks continuing pieces and its piece is not as long as the
    text it covers (``##ing`` covers ``ing``); with a vocabulary that does not, when no space is at or just
    before its start (the pipeline's fallback). The unknown token never continues one, and stands for the text
    it covers.
    """
    tokens = []
    rows = zip(encoding.ids, encoding.tokens, encoding.offsets, encoding.special_tokens_mask, strict=True)
    for index, (token_id, piece, (start, end), special) in enumerate(rows):
        if special:
            continue
        covered = text[start:end]
        if token_id == vocabulary.unknown_id:
            word, continues = covered, False
        elif vocabulary.word_aware:
            word, continues = piece, len(piece) != len(covered)
        else:
            word, continues = piece, start > 0 and " " not in text[start - 1 : start + 1]
        tokens.append(Token(word, scores[index], index, start, end, continues))
    return tokens


def aggregate(tokens: list[Token], strategy: str, labels: Sequence[str], vocabulary: Vocabulary) -> list[Entity]:
    """``tokens`` labelled (``none``), or made into words (``first``, ``average``, ``max``) and then grouped."""
    if strategy in ("none", "simple"):
        labelled = [_labelled(token, labels) for token in tokens]
        return labelled if strategy == "none" else group(labelled, vocabulary)
    return group([_word(each, strategy, labels, vocabulary) for each in _words(tokens)], vocabulary)


def _labelled(token: Token, labels: Sequence[str]) -> Entity:
    best = int(token.scores.argmax())
    score = float(token.scores[best])
    return {"entity": labels[best], "score": score, "index": token.index, "word": token.word,
            "start": token.start, "end": token.end}  # fmt: skip


def _words(tokens: list[Token]) -> list[list[Token]]:
    """``tokens`` cut into words: a token that continues a word joins the one before it (the first token starts
    a word, whatever it is)."""
    words: list[list[Token]] = []
    for token in tokens:
        if words and token.is_subword:
            words[-1].append(token)
        else:
            words.append([token])
    return words


def _word(tokens: list[Token], strategy: str, labels: Sequence[str], vocabulary: Vocabulary) -> Entity:
    """One word's entity: the label of its first token (``first``), of its most confident token (``max``),
    or the best of its tokens' mean scores (``average``)."""
    if strategy == "first":
        scores = tokens[0].scores
    elif strategy == "max":
        scores = max(tokens, key=lambda token: token.scores.max()).scores  # the first of equals, as the pipeline
    else:
        scores = np.nanmean(np.stack([token.scores for token in tokens]), axis=0)
    best = int(scores.argmax())
    return {"entity": labels[best], "score": float(scores[best]), "word": vocabulary.join([t.word for t in tokens]),
            "start": tokens[0].start, "end": tokens[-1].end}  # fmt: skip


def _tag(label: str) -> tuple[str, str]:
    """``B-PER`` is ``(B, PER)``; a label without ``B-`` or ``I-`` continues (``I``)."""
    if label.startswith(("B-", "I-")):
        return label[0], label[2:]
    return "I", label


def group(entities: list[Entity], vocabulary: Vocabulary) -> list[Entity]:
    """Adjacent ``entities`` of the same tag joined into one, unless the later one begins (``B-``) an entity."""
    groups: list[list[Entity]] = []
    for entity in entities:
        if groups:
            begins, tag = _tag(entity["entity"])
            if tag == _tag(groups[-1][-1]["entity"])[1] and begins != "B":
                groups[-1].append(entity)
                continue
        groups.append([entity])
    return [
        {
            "entity_group": members[0]["entity"].split("-", 1)[-1],
            "score": float(np.nanmean([each["score"] for each in members])),
            "word": vocabulary.join([each["word"] for each in members]),
            "start": members[0]["start"],
            "end": members[-1]["end"],
        }
        for members in groups
    ]


def merge_windows(entities: list[Entity]) -> list[Entity]:
    """The entities of overlapping windows, in the text's order: of two that overlap (the later starting
    inside the earlier), the longer is kept, or the more confident of two equally long."""
    if not entities:
        return entities
    ordered = sorted(entities, key=lambda entity: entity["start"])
    merged, kept = [], ordered[0]
    for entity in ordered:
        if kept["start"] <= entity["start"] < kept["end"]:
            length, kept_length = entity["end"] - entity["start"], kept["end"] - kept["start"]
            if length > kept_length or (length == kept_length and entity["score"] > kept["score"]):
                kept = entity
        else:
            merged.append(kept)
            kept = entity
    merged.append(kept)
    return merged

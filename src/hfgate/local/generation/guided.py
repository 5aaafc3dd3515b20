"""Guided generation: output held to a JSON schema or a regular expression, with llguidance.

TGI's ``grammar`` (``json``, ``regex``) and OpenAI's ``response_format`` (``json_schema``,
``json_object``) become a :class:`Constraint`: before each pick, every token that cannot continue a
valid output is masked out; once the output is complete only the end token remains, so generation
stops there. llguidance (the library vLLM, SGLang and llama.cpp use) was chosen over outlines-core
and xgrammar because it installs as one small wheel with no dependencies here, builds a model's token
table from a local tokenizer without the Hub (outlines-core's vocabulary loader goes to the Hub), and
computes its masks fast (figures: docs/api/guided-generation.md). Any fast Hugging Face tokenizer works;
the table is built once per model.

A JSON schema is held compact (``compact_schema``: objects closed, one line), and a string the model
starts to repeat is closed (``looping_strings``), so that a small model's answer is complete JSON well
within its token limit.
"""

from __future__ import annotations

import json
from typing import Any

import torch

from hfgate.errors import RequestValidationError
from hfgate.local.generation.compact_schema import compact
from hfgate.local.generation.looping_strings import LoopingStrings, starting_with_quote
from hfgate.local.generation.repeated_items import RepeatedItems
from hfgate.tasks import Grammar


class Constraint:
    """One request's grammar state: masks scores, then follows the tokens picked; with ``repeats`` (a
    grammar's ``distinct_items``), only ``]`` may follow an array item that repeats an earlier one; with
    ``loops`` (JSON), a string that repeats itself is closed."""

    def __init__(
        self, matcher: Any, *, repeats: RepeatedItems | None = None, loops: LoopingStrings | None = None
    ) -> None:
        self._matcher = matcher
        self._repeats = repeats
        self._loops = loops

    def mask(self, scores: torch.Tensor) -> torch.Tensor:
        """``scores`` (one row over the vocabulary) with every token the grammar forbids at -inf.

        The bitmask comes as bytes (bit ``i`` set: token ``i`` allowed) and is unpacked with numpy:
        ``llguidance.torch`` would run ``torch.compile`` at import, slow and warning on this torch.
        """
        import numpy as np

        bits = np.unpackbits(np.frombuffer(self._matcher.compute_bitmask(), dtype=np.uint8), bitorder="little")
        allowed = np.zeros(scores.numel(), dtype=bool)
        size = min(scores.numel(), bits.size)
        allowed[:size] = bits[:size].astype(bool)
        if self._loops is not None:
            allowed = self._loops.restrict(allowed)
        if self._repeats is not None:
            allowed = self._repeats.restrict(allowed)
        return scores.masked_fill(torch.from_numpy(~allowed), float("-inf"))

    def complete(self) -> bool:
        """Whether the output is whole: the grammar allows nothing but the end."""
        return bool(self._matcher.is_stopped())

    def advance(self, token: int) -> None:
        if self._loops is not None:
            self._loops.advance(token)
        if self._repeats is None:
            self._matcher.consume_token(token)
            return
        if not self._repeats.ending:  # an end token the grammar did not allow: the output stops here
            self._matcher.consume_token(token)
        self._repeats.advance(token)


class GrammarCompiler:
    """Builds constraints for one model; its token table is made once, on the first grammar."""

    def __init__(self, tokenizer: Any) -> None:
        self._tokenizer = tokenizer
        self._table: Any = None
        self._closers: Any = None

    def constraint(self, grammar: Grammar) -> Constraint:
        """A fresh constraint for ``grammar`` (run on the compute thread: it may build the token table).

        Raises:
            RequestValidationError: the schema or regular expression is invalid, naming the field.
        """
        import llguidance
        import llguidance.hf

        if self._table is None:
            # slices=[]: the slicer's one-off precomputation is slow, and masks are fast without it
            # (figures: docs/api/guided-generation.md)
            self._table = llguidance.hf.from_tokenizer(self._tokenizer, slices=[])
        source = _source(grammar)
        matcher = llguidance.LLMatcher(self._table, source, log_level=0)
        if matcher.is_error():
            raise RequestValidationError(
                [f"Invalid [{grammar.field}] ({grammar.kind}): {matcher.get_error()}"], param=grammar.field
            )
        loops = (
            LoopingStrings(decode=self._table.decode_bytes, closers=self._quote_tokens)
            if grammar.kind == "json"
            else None
        )
        if not grammar.distinct_items:
            return Constraint(matcher, loops=loops)
        close = self._table.tokenize_str("]")
        repeats = RepeatedItems(
            decode=self._table.decode_bytes, close=close if len(close) == 1 else (), end=self._table.eos_tokens
        )
        return Constraint(matcher, repeats=repeats, loops=loops)

    def _quote_tokens(self) -> Any:
        if self._closers is None:  # once per model, when a string first loops
            self._closers = starting_with_quote(self._table.decode_bytes, self._table.vocab_size)
        return self._closers


def _source(grammar: Grammar) -> str:
    from llguidance import LLMatcher

    if grammar.kind == "regex":
        return str(LLMatcher.grammar_from_regex(grammar.value))
    try:
        schema = json.loads(grammar.value)
    except json.JSONDecodeError as exc:
        raise RequestValidationError(
            [f"Invalid [{grammar.field}]: the JSON schema does not parse: {exc}"], param=grammar.field
        ) from None
    return str(LLMatcher.grammar_from_json_schema(compact(schema) if isinstance(schema, dict) else schema))

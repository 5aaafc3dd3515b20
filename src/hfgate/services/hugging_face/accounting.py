"""Usage of the ``hugging_face`` service's calls: tokens by the model's own tokenizer where possible,
and the token names of sparse vectors."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from hfgate.services.hugging_face.token_counts import TokenCounter, Tokenizers
from hfgate.services.hugging_face.typed import HfSettings
from hfgate.tasks import Generation, GenerationParams, Usage
from hfgate.upstream.wire.common import UpstreamText
from hfgate.upstream.wire.info import ServerInfo


@dataclass(frozen=True, slots=True)
class Vocabulary:
    """Token ids to token names (TEI's ``/embed_sparse`` gives ids; Elasticsearch wants tokens)."""

    counter: TokenCounter | None

    def named(self, weights: dict[int, float]) -> dict[str, float]:
        """``{token: weight}``; an id the tokenizer does not name (or with no tokenizer here) keeps its
        number as the key."""
        if self.counter is None:
            return {str(i): w for i, w in weights.items()}
        return {(self.counter.token(i) or str(i)): w for i, w in weights.items()}


class Accounting:
    """Counts tokens with the served model's tokenizer, falling back on the upstream's own figures."""

    def __init__(self) -> None:
        self._tokenizers = Tokenizers()

    async def count(self, settings: HfSettings, texts: Sequence[str], *, info: ServerInfo | None = None) -> int | None:
        """Tokens in ``texts`` by the model's own tokenizer, or ``None`` when it is not available."""
        counter = await self._tokenizers.get(model_of(settings, info))
        return counter.count(texts) if counter is not None else None

    async def vocabulary(self, settings: HfSettings) -> Vocabulary:
        return Vocabulary(await self._tokenizers.get(model_of(settings)))

    async def prompt(self, settings: HfSettings, texts: Sequence[str], *, info: ServerInfo | None = None) -> Usage:
        return Usage(prompt_tokens=await self.count(settings, texts, info=info) or 0)

    async def generation(
        self, settings: HfSettings, answer: UpstreamText, *, prompts: list[str], params: GenerationParams
    ) -> Generation:
        """The result, with tokens counted by the model's tokenizer where possible, else by the upstream."""
        upstream = answer.usage or Usage()
        prompt = await self.count(settings, prompts)
        written = [answer.text, *(f"{c.name} {c.arguments}" for c in answer.tool_calls)]
        completion = upstream.completion_tokens or await self.count(settings, written) or 0
        usage = Usage(
            prompt_tokens=prompt if prompt is not None else upstream.prompt_tokens,
            completion_tokens=completion,
            reasoning_tokens=upstream.reasoning_tokens,
            cached_tokens=upstream.cached_tokens,
        )
        reason = answer.finish_reason
        if params.max_new_tokens is not None and completion >= params.max_new_tokens:
            reason = "length"
        return Generation(
            text=answer.text,
            finish_reason=reason,
            usage=usage,
            tool_calls=answer.tool_calls,
            reasoning=answer.reasoning,
        )


def model_of(settings: HfSettings, info: ServerInfo | None = None) -> str | None:
    """The model whose files (tokenizer, config) describe what the endpoint serves: the hosted ``model_id``,
    else the model the server says it serves (a Hub id, or the directory it was started with)."""
    return settings.model_id or settings.served_model or (info.model_id if info else None)

"""Usage of the ``hugging_face`` service's calls: tokens by the model's own tokenizer where possible."""

from __future__ import annotations

from collections.abc import Sequence

from hfgate.registry.endpoint import Endpoint
from hfgate.services.hugging_face.token_counts import Tokenizers
from hfgate.tasks import Generation, GenerationParams, Usage
from hfgate.upstream.wire.common import UpstreamText
from hfgate.upstream.wire.info import ServerInfo


class Accounting:
    """Counts tokens with the served model's tokenizer, falling back on the upstream's own figures."""

    def __init__(self) -> None:
        self._tokenizers = Tokenizers()

    async def count(self, endpoint: Endpoint, texts: Sequence[str], *, info: ServerInfo | None = None) -> int | None:
        """Tokens in ``texts`` by the model's own tokenizer, or ``None`` when it is not available."""
        settings = endpoint.service_settings
        model = settings.get("model_id") or settings.get("served_model") or (info.model_id if info else None)
        counter = await self._tokenizers.get(model)
        return counter.count(texts) if counter is not None else None

    async def prompt(self, endpoint: Endpoint, texts: Sequence[str], *, info: ServerInfo) -> Usage:
        return Usage(prompt_tokens=await self.count(endpoint, texts, info=info) or 0)

    async def generation(
        self, endpoint: Endpoint, answer: UpstreamText, *, prompts: list[str], params: GenerationParams
    ) -> Generation:
        """The result, with tokens counted by the model's tokenizer where possible, else by the upstream."""
        upstream = answer.usage or Usage()
        prompt = await self.count(endpoint, prompts)
        completion = upstream.completion_tokens or await self.count(endpoint, [answer.text]) or 0
        usage = Usage(
            prompt_tokens=prompt if prompt is not None else upstream.prompt_tokens, completion_tokens=completion
        )
        reason = answer.finish_reason
        if params.max_new_tokens is not None and completion >= params.max_new_tokens:
            reason = "length"
        return Generation(text=answer.text, finish_reason=reason, usage=usage)

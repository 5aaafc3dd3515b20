"""The ``local`` service's sparse models: SPLADE models (masked-LM heads) giving token → weight vectors."""

from __future__ import annotations

from hfgate.local.sparse import SpladeEncoder
from hfgate.registry.endpoint import Endpoint
from hfgate.services.base import TokenNames
from hfgate.services.local.base import LocalModel
from hfgate.services.local.keys import sparse_key
from hfgate.tasks import EmbedRequest, SparseWeights, TaskType, Usage

SPARSE = frozenset({TaskType.SPARSE_EMBEDDING})


class LocalSparseEncoder(LocalModel[SpladeEncoder]):
    """Encodes with the endpoint's SPLADE model, loaded once per process into the shared model cache."""

    async def load(self) -> None:
        await self.encoder()

    async def sparse_weights(self, request: EmbedRequest) -> SparseWeights:
        """Each text's ``{vocabulary id: weight}``, as sentence-transformers' ``SparseEncoder`` gives it."""
        encoded = await (await self.encoder()).encode(request.texts)
        return SparseWeights(weights=encoded.weights, usage=Usage(prompt_tokens=encoded.tokens))

    async def token_names(self) -> TokenNames:
        """The model's vocabulary entries (``"paris"``, ``"##ing"``), as Elasticsearch's ELSER names them."""
        return (await self.encoder()).names

    async def checked(self) -> Endpoint:
        """Load the model and encode one text, as Elasticsearch's create does."""
        await (await self.encoder()).encode(("check",))
        return self.endpoint

    async def encoder(self) -> SpladeEncoder:
        """The endpoint's loaded SPLADE model."""
        return await self.batched(SpladeEncoder, key=sparse_key)

"""The ``local`` service's sparse half: SPLADE models (masked-LM heads) giving token → weight vectors."""

from __future__ import annotations

from hfgate.local.sparse import SpladeEncoder
from hfgate.registry.endpoint import Endpoint
from hfgate.services.base import TokenNames
from hfgate.services.local.base import LocalBase
from hfgate.services.local.keys import sparse_key
from hfgate.tasks import EmbedRequest, SparseWeights, TaskType, Usage

SPARSE = frozenset({TaskType.SPARSE_EMBEDDING})


class SparseModels(LocalBase):
    """Encodes with the endpoint's SPLADE model, loaded once per process into the shared model cache."""

    async def sparse_weights(self, endpoint: Endpoint, request: EmbedRequest) -> SparseWeights:
        """Each text's ``{vocabulary id: weight}``, as sentence-transformers' ``SparseEncoder`` gives it."""
        encoder = await self._sparse_encoder(endpoint)
        encoded = await encoder.encode(request.texts)
        return SparseWeights(weights=encoded.weights, usage=Usage(prompt_tokens=encoded.tokens))

    async def token_names(self, endpoint: Endpoint) -> TokenNames:
        """The model's vocabulary entries (``"paris"``, ``"##ing"``), as Elasticsearch's ELSER names them."""
        return (await self._sparse_encoder(endpoint)).names

    async def _checked_sparse(self, endpoint: Endpoint) -> Endpoint:
        """Load the model and encode one text, as Elasticsearch's create does."""
        await (await self._sparse_encoder(endpoint)).encode(("check",))
        return endpoint

    async def _sparse_encoder(self, endpoint: Endpoint) -> SpladeEncoder:
        """The endpoint's loaded SPLADE model."""
        return await self._batched_model(endpoint, SpladeEncoder, key=sparse_key)

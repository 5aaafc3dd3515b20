"""The create-time check every embedding service shares: embed once, record size and similarity."""

from __future__ import annotations

from hfgate.errors import BadRequestError
from hfgate.registry.endpoint import Endpoint
from hfgate.services.base import Service
from hfgate.tasks import EmbedRequest

PROBE_INPUT = "how big"
SIMILARITIES = ("cosine", "dot_product", "l2_norm")


async def record_embedding_shape(service: Service, endpoint: Endpoint, *, timeout: float) -> Endpoint:
    """Embed one probe text; record ``dimensions`` (checked against the user's) and ``similarity``.

    Raises:
        BadRequestError: the user gave ``dimensions`` and the model returns another size.
    """
    result = await service.embed(endpoint, EmbedRequest(texts=(PROBE_INPUT,), timeout=timeout))
    size = len(result.embeddings[0])
    given = endpoint.service_settings.get("dimensions")
    if given is not None and given != size:
        raise BadRequestError(
            f"The retrieved embeddings size [{size}] does not match the size specified in the settings "
            f"[{given}]. Please recreate the [{endpoint.inference_id}] configuration with the correct "
            "dimensions",
            param="service_settings.dimensions",
        )
    recorded = {"dimensions": size, "similarity": endpoint.service_settings.get("similarity", "cosine")}
    return endpoint.evolve(service_settings={**endpoint.service_settings, **recorded})

"""The create-time check every embedding service shares: embed once, record size and similarity."""

from __future__ import annotations

from hfgate.errors import BadRequestError
from hfgate.registry.endpoint import Endpoint
from hfgate.services.base import Model
from hfgate.services.spec import SettingSpec
from hfgate.tasks import EmbedRequest, TaskType

PROBE_INPUT = "how big"
SIMILARITIES = ("cosine", "dot_product", "l2_norm")
_EMBEDDING = frozenset({TaskType.TEXT_EMBEDDING})

# The settings every embedding service records at create (with record_embedding_shape).
EMBEDDING_SHAPE_SETTINGS = (
    SettingSpec(
        name="dimensions",
        kind="int",
        minimum=1,
        recorded=True,
        task_types=_EMBEDDING,
        label="Dimensions",
        description="Size of the vectors; recorded at create, checked when given.",
    ),
    SettingSpec(
        name="similarity",
        choices=SIMILARITIES,
        recorded=True,
        task_types=_EMBEDDING,
        label="Similarity",
        description="Similarity measure for the vectors; default cosine.",
    ),
)


async def record_embedding_shape(model: Model, *, timeout: float) -> Endpoint:
    """Embed one probe text; record ``dimensions`` (checked against the user's) and ``similarity``.

    Raises:
        BadRequestError: the user gave ``dimensions`` and the model returns another size.
    """
    endpoint = model.endpoint
    result = await model.embed(EmbedRequest(texts=(PROBE_INPUT,), timeout=timeout))
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

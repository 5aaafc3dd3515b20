"""Images on the ``hugging_face`` service: which endpoints embed them, and a request of texts and images sent
the way the server takes them (images through the engine's ``image_embed`` protocol, texts as always).

An endpoint takes images when its engine has an ``image_embed`` protocol (infinity: :mod:`upstream.engines.infinity`)
and its server did not say at create that the model reads text only (``takes_images`` recorded false from
infinity's ``/models`` ``capabilities``). Elsewhere the orchestrator answers an image with a 400 naming its
``type`` field, before any upstream call.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import replace

from hfgate.images import ImageInput
from hfgate.registry.endpoint import Endpoint
from hfgate.services.hugging_face.routing import LEGACY_ENGINE
from hfgate.services.hugging_face.typed import HfSettings
from hfgate.tasks import EmbeddingResult, EmbedRequest, TaskType, Usage
from hfgate.upstream.engines import engine_protocol
from hfgate.upstream.engines.base import Address, ImageEmbedProtocol, Vectors
from hfgate.upstream.http.client import Call, Seen, UpstreamClient

SendImages = Callable[[list[ImageInput]], Awaitable[Vectors]]


def takes_images(endpoint: Endpoint) -> bool:
    """Whether ``endpoint`` (as its service sees it) embeds images: a server at a url whose engine has an
    ``image_embed`` protocol, unless the server said its model has no such capability."""
    settings = HfSettings.of(endpoint.service_settings)
    if endpoint.task_type is not TaskType.TEXT_EMBEDDING or settings.takes_images is False:
        return False
    engine = settings.engine or LEGACY_ENGINE
    return settings.server_url is not None and engine_protocol(engine, "image_embed", ImageEmbedProtocol) is not None


async def embed_mixed(
    request: EmbedRequest, *, texts: Callable[[EmbedRequest], Awaitable[EmbeddingResult]], images: SendImages
) -> EmbeddingResult:
    """The vectors of ``request``'s texts and images in input order: the images by ``images``, the texts by
    ``texts`` as a request of its own (a server takes one kind per request); usage counts the texts."""
    image_places = [i for i, image in enumerate(request.images) if image is not None]
    text_places = [i for i, image in enumerate(request.images) if image is None]
    pictured = await images([image for image in request.images if image is not None])
    written = EmbeddingResult(embeddings=[], usage=Usage())
    if text_places:
        written = await texts(replace(request, texts=tuple(request.texts[i] for i in text_places), images=()))
    vectors = dict(zip(image_places, pictured, strict=True)) | dict(zip(text_places, written.embeddings, strict=True))
    return EmbeddingResult(embeddings=[vectors[i] for i in range(len(request.images))], usage=written.usage)


def image_sender(
    upstream: UpstreamClient, call: Call, protocol: ImageEmbedProtocol, at: Address, *, seen: Seen
) -> SendImages:
    """What sends one batch of images to the server at ``at`` in its ``image_embed`` protocol."""
    url = protocol.url(at)

    async def send(batch: list[ImageInput]) -> Vectors:
        parse = lambda answer: protocol.parse(answer, count=len(batch))  # noqa: E731
        return await upstream.post_json(call, url, payload=protocol.payload(at, batch), parse=parse, seen=seen)

    return send

"""Image-and-text embedding models (CLIP, SigLIP) as sentence-transformers loads them: texts and images
in one vector space, each computed by the model's own ``encode``.

No engine choice and no shared batches here: a request's texts go through ``encode`` in one call and its
images in another (sentence-transformers encodes one modality per call), both on the compute thread,
where the images are also decoded (``hfgate.images.decode_image``: PIL, off the event loop).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from hfgate.errors import BadRequestError
from hfgate.images import ImageInput, decode_image
from hfgate.local.cache import Compute
from hfgate.local.embedding.engine_choice import SPEED_UNIT, engine_class
from hfgate.local.lazy_imports import import_torch_stack
from hfgate.local.machine import machine_of
from hfgate.local.measuring.choice import set_choice
from hfgate.local.measuring.record import MeasuredChoice
from hfgate.local.model_kind import module_types

ENGINE = "torch"
"""The one engine: sentence-transformers' own modules in float32."""


class ImageTextEmbedder:
    """A loaded image-and-text model; the same surface as ``SentenceEmbedder`` where the service uses it.

    Args:
        path: a sentence-transformers directory whose module is CLIP or SigLIP (``model_kind.takes_images``).
        compute: the thread where ``encode`` runs.
        threads: torch threads; 0 keeps torch's default.
        name: the model's name in messages.
        device: ``cpu``, ``cuda`` or ``cuda:N``.

    Example:
        >>> embedder = ImageTextEmbedder(model_dir, compute=Compute(), name="clip")
        >>> # vectors, tokens = await embedder.embed_counted(["a cat", ""], images=[None, image])
    """

    def __init__(
        self, path: Path, *, compute: Compute, threads: int = 0, name: str | None = None, device: str = "cpu"
    ) -> None:
        torch, sentence_transformers = import_torch_stack("sentence_transformers")
        if threads:
            torch.set_num_threads(threads)
        self._torch = torch
        self._model: Any = sentence_transformers.SentenceTransformer(
            str(path), device=device, local_files_only=True
        ).eval()
        self._compute = compute
        self._normalizes = any(kind.endswith("Normalize") for kind in module_types(path))
        self.name = name or str(path)
        self.device = device
        self.engine_choice: MeasuredChoice = set_choice(
            ENGINE, min_cosine=1.0, unit=SPEED_UNIT, on=machine_of(device).describe()
        )
        self.engine_name = ENGINE
        self.vector_engine = engine_class(ENGINE)
        self.measuring = False
        self.max_input_tokens: int = int(getattr(self._model, "max_seq_length", None) or 0)
        self.dimensions: int = len(self._encode(["dimensions"])[0])

    @property
    def memory_bytes(self) -> int:
        return sum(p.numel() * p.element_size() for p in self._model.parameters()) if self._model else 0

    @property
    def waiting(self) -> int:
        return 0

    async def embed(self, texts: Sequence[str], *, normalize: bool = True) -> list[list[float]]:
        return (await self.embed_counted(texts, normalize=normalize))[0]

    async def embed_counted(
        self, texts: Sequence[str], *, images: Sequence[ImageInput | None] = (), normalize: bool = True
    ) -> tuple[list[list[float]], int]:
        """One vector per place, in order: the image's where ``images`` holds one, else the text's; and
        the tokens the texts took. ``normalize`` false is refused for a model that normalizes inside.

        Raises:
            BadRequestError: an image PIL cannot read or over the pixel limit (naming its field), or
                ``normalize: false`` for a model with a ``Normalize`` module.
        """
        if not normalize and self._normalizes:
            raise BadRequestError(
                f"`normalize: false` is not available for the model [{self.name}]: its pipeline normalizes "
                "inside sentence-transformers; send `normalize: true`"
            )
        places: list[ImageInput | None] = list(images) if images else [None] * len(texts)
        return await self._compute.run(self._embed_places, list(texts), places)

    def count_tokens(self, texts: Sequence[str]) -> int:
        """Tokens the texts take, padding left out (sentence-transformers 5.4+ ``preprocess``, else ``tokenize``)."""
        prepare = getattr(self._model, "preprocess", None)
        features = prepare(inputs=list(texts)) if prepare is not None else self._model.tokenize(list(texts))
        mask = features.get("attention_mask")
        return int(mask.sum()) if mask is not None else 0

    def close(self) -> None:
        self._model = None

    def _embed_places(self, texts: list[str], images: list[ImageInput | None]) -> tuple[list[list[float]], int]:
        if self._model is None:
            raise BadRequestError(f"The local model [{self.name}] was unloaded to free memory; retry")
        text_places = [i for i, image in enumerate(images) if image is None]
        image_places = [i for i, image in enumerate(images) if image is not None]
        vectors: list[list[float]] = [[] for _ in texts]
        decoded = [decode_image(images[i]) for i in image_places]  # type: ignore[arg-type]  # not None there
        for places, inputs in ((text_places, [texts[i] for i in text_places]), (image_places, decoded)):
            for place, vector in zip(places, self._encode(inputs), strict=True):
                vectors[place] = vector
        tokens = self.count_tokens([texts[i] for i in text_places]) if text_places else 0
        return vectors, tokens

    def _encode(self, inputs: list[Any]) -> list[list[float]]:
        if not inputs:
            return []
        with self._torch.inference_mode():
            encoded = self._model.encode(inputs, convert_to_numpy=True, show_progress_bar=False)
        result: list[list[float]] = encoded.tolist()
        return result

"""Images sent to be embedded: read from a request's data URI, held as their bytes, decoded where a model runs.

A face reads ``data:image/png;base64,…`` into an :class:`ImageInput` (its bytes, and the request field it
came from, for messages); only a model that takes images decodes it, with PIL, off the event loop. An image
is known by its bytes' hash (:attr:`ImageInput.digest`): the embedding cache keys it by content.

Limits: :data:`MAX_IMAGE_BYTES` decoded bytes (413) and :data:`MAX_IMAGE_PIXELS` pixels (400); the request
body's own limit (``HFGATE_MAX_BODY_BYTES``, 8 MiB) comes first.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import io
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from hfgate.errors import BadRequestError, PayloadTooLargeError

if TYPE_CHECKING:
    from PIL.Image import Image

MAX_IMAGE_BYTES = 20 * 1024 * 1024
"""The largest image, decoded from base64."""
MAX_IMAGE_PIXELS = 40_000_000
"""The most pixels (width × height) of an image: a 40-megapixel photo; models resize to a few hundred."""

_DATA_URI = re.compile(r"data:(?P<mime>[\w.+-]+/[\w.+-]+)?(?P<params>(;[^;,]*)*?);base64,(?P<data>.*)", re.DOTALL)


@dataclass(frozen=True, slots=True)
class ImageInput:
    """One image of a request: its encoded bytes (PNG, JPEG, WebP, … as sent) and where it was sent.

    ``field`` names the request's item in messages, e.g. ``[input][1].content`` or ``messages[0].content[1]``.
    """

    data: bytes = field(repr=False)
    field: str
    type_field: str = ""
    """The field a model that takes no images names in its refusal; default ``<field>.type``."""

    @property
    def digest(self) -> str:
        """The bytes' SHA-256: what the embedding cache keys the image by."""
        return hashlib.sha256(self.data).hexdigest()


def image_from_data_uri(value: object, *, item: str, field: str) -> ImageInput:
    """The image of a ``data:<mime>;base64,<data>`` URI, sent as the request's ``item`` in its ``field``.

    Raises:
        BadRequestError: ``value`` is no base64 data URI (400, naming ``field``).
        PayloadTooLargeError: the image is over :data:`MAX_IMAGE_BYTES` (413, naming ``field``).

    Example:
        >>> image_from_data_uri("data:image/png;base64,AA==", item="input[0]", field="input[0].value").data
        b'\\x00'
    """
    match = _DATA_URI.fullmatch(value.strip()) if isinstance(value, str) else None
    if match is None:
        raise BadRequestError(
            f"Field {field} must be a base64 data URI such as [data:image/png;base64,iVBORw0…]", param=field
        )
    return image_from_base64(match["data"], item=item, field=field)


def image_from_base64(encoded: str, *, item: str, field: str, type_field: str = "") -> ImageInput:
    """The image of base64 text (Gemini's ``inlineData.data``); raises as :func:`image_from_data_uri`."""
    if len(encoded) * 3 // 4 > MAX_IMAGE_BYTES + 3:
        raise PayloadTooLargeError(
            f"Field {field} holds an image of about [{len(encoded) * 3 // 4}] bytes; the most is "
            f"[{MAX_IMAGE_BYTES}]: send a smaller image (models resize to a few hundred pixels)"
        )
    try:
        data = base64.b64decode(encoded, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise BadRequestError(f"Field {field} is not valid base64: {exc}", param=field) from exc
    return ImageInput(data=data, field=item, type_field=type_field)


_SIGNATURES = (
    (b"\x89PNG", "image/png"),
    (b"\xff\xd8", "image/jpeg"),
    (b"GIF8", "image/gif"),
    (b"BM", "image/bmp"),
    (b"II*\x00", "image/tiff"),
    (b"MM\x00*", "image/tiff"),
)


def as_data_uri(image: ImageInput) -> str:
    """The image as a ``data:<mime>;base64,…`` URI, its type read from its first bytes (``image/webp`` for
    RIFF…WEBP; ``application/octet-stream`` when unknown: the server's decoder reads the bytes anyway).

    Example:
        >>> as_data_uri(ImageInput(data=b"\\x89PNG", field="input[0]"))
        'data:image/png;base64,iVBORw=='
    """
    mime = next((m for signature, m in _SIGNATURES if image.data.startswith(signature)), None)
    if mime is None:
        webp = image.data[:4] == b"RIFF" and image.data[8:12] == b"WEBP"
        mime = "image/webp" if webp else "application/octet-stream"
    return f"data:{mime};base64,{base64.b64encode(image.data).decode('ascii')}"


def split_contents(contents: Sequence[str | ImageInput]) -> tuple[tuple[str, ...], tuple[ImageInput | None, ...]]:
    """An ``EmbedRequest``'s ``texts`` and ``images`` for texts and images in one order (``""`` where an
    image is; no images when there are none).

    Example:
        >>> split_contents(["a", "b"])
        (('a', 'b'), ())
    """
    images = tuple(c if isinstance(c, ImageInput) else None for c in contents)
    texts = tuple("" if isinstance(c, ImageInput) else c for c in contents)
    return texts, images if any(image is not None for image in images) else ()


def decode_image(image: ImageInput) -> Image:
    """The image as RGB pixels (blocking: call it in a worker thread).

    Raises:
        BadRequestError: Pillow is not installed, PIL cannot read the image, or it has more than
            :data:`MAX_IMAGE_PIXELS` pixels.
    """
    try:
        from PIL import Image, UnidentifiedImageError  # heavy: only where images are embedded
    except ImportError as exc:
        raise BadRequestError(
            "Embedding images needs [pillow], which is not installed; install the extra with "
            "`pip install 'hfgate[local]'`"
        ) from exc

    try:
        opened = Image.open(io.BytesIO(image.data))
    except (UnidentifiedImageError, OSError) as exc:
        raise BadRequestError(
            f"Field {image.field} is not an image PIL can read (PNG, JPEG, WebP, GIF, BMP, TIFF…): {exc}",
            param=image.field,
        ) from exc
    width, height = opened.size
    if width * height > MAX_IMAGE_PIXELS:
        raise BadRequestError(
            f"Field {image.field} is an image of [{width}x{height}] = [{width * height}] pixels; the most is "
            f"[{MAX_IMAGE_PIXELS}]: scale it down before sending",
            param=image.field,
        )
    try:
        return opened.convert("RGB")
    except (OSError, ValueError) as exc:
        raise BadRequestError(
            f"Field {image.field} could not be decoded as an image: {exc}", param=image.field
        ) from exc

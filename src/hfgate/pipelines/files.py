"""A file a request sends a Hub task (audio, an image): as the raw body with its Content-Type, as multipart,
or as base64 in a JSON body's ``inputs`` (what ``InferenceClient`` sends when it also sends parameters).
What the file holds is decoded by its kind's module (``audio.py``, ``image.py``)."""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass
from typing import Any

from hfgate.errors import RequestValidationError
from hfgate.pipelines.fields import json_kind


@dataclass(frozen=True, slots=True, kw_only=True)
class InputFile:
    """A file as it came: its bytes, the Content-Type it was sent with, and the request's field that held it
    (named when it does not decode)."""

    data: bytes
    content_type: str | None = None
    field: str = "inputs"


def file_input(inputs: Any, *, kind: str, name: str = "inputs") -> InputFile:
    """A JSON body's ``inputs``: the ``kind`` file (``audio``, ``image``) as base64, or a ``data:`` URL.

    Raises:
        RequestValidationError: not a base64 string.
    """
    if isinstance(inputs, InputFile):
        return inputs
    if not isinstance(inputs, str) or not inputs:
        raise RequestValidationError(
            [f"`{name}` must be the {kind} file: the raw request body, or base64 in JSON, got [{json_kind(inputs)}]"],
            param=name,
        )
    try:
        data = base64.b64decode(inputs.split(",", 1)[-1] if inputs.startswith("data:") else inputs, validate=True)
    except (binascii.Error, ValueError):
        raise RequestValidationError(
            [f"`{name}` is not base64: send the {kind} file's bytes base64-encoded"], param=name
        ) from None
    return InputFile(data=data, field=name)


def base64_of(file: InputFile) -> str:
    """``file``'s bytes as base64: what a JSON body carries (the Inference API with parameters)."""
    return base64.b64encode(file.data).decode("ascii")

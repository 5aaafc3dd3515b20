"""A ``multipart/form-data`` body: one file and text fields, what OpenAI's ``/v1/audio/transcriptions`` takes
(vLLM's and DeepInfra's too: huggingface_hub ``inference/_providers/deepinfra.py``, ``_encode_multipart``).

A protocol's ``payload`` returns a :class:`Form` where the server takes a form instead of JSON;
:func:`encoded` gives any payload's bytes and Content-Type.
"""

from __future__ import annotations

import mimetypes
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import aiohttp
import orjson

JSON = "application/json"


@dataclass(frozen=True, slots=True, kw_only=True)
class Form:
    """A file under ``name`` and the text ``fields`` (a field may repeat: ``timestamp_granularities[]``)."""

    data: bytes
    content_type: str | None = None
    name: str = "file"
    fields: Sequence[tuple[str, str]] = ()

    @property
    def filename(self) -> str:
        """``audio`` with the extension of its Content-Type; ``.wav`` when unknown (transcription servers read
        the format from the name, as huggingface_hub's DeepInfra helper says)."""
        return "audio" + (mimetypes.guess_extension(self.content_type or "") or ".wav")

    async def encode(self) -> tuple[bytes, str]:
        """The body and its Content-Type (with the boundary), written by aiohttp's ``FormData``.

        Example:
            >>> body, kind = asyncio.run(Form(data=b"RIFF", fields=[("model", "m")]).encode())
            >>> kind.startswith("multipart/form-data; boundary=")
            True
        """
        form = aiohttp.FormData()
        form.add_field(self.name, self.data, filename=self.filename,
                       content_type=self.content_type or "application/octet-stream")  # fmt: skip
        for name, value in self.fields:
            form.add_field(name, value)
        writer = form()
        return await writer.as_bytes(), writer.content_type


async def encoded(payload: Any) -> tuple[bytes, dict[str, str]]:
    """``payload``'s body and the headers it needs: a :class:`Form`'s multipart with its Content-Type; anything
    else as JSON, which the client's calls send by default (none)."""
    if isinstance(payload, Form):
        body, content_type = await payload.encode()
        return body, {"Content-Type": content_type}
    return orjson.dumps(payload), {}

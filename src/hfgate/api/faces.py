"""The API faces, each once: which paths it owns, how it shapes an error, its metric label.

A face is the wire protocol a client speaks (Elasticsearch, OpenAI, Anthropic, Gemini, Hugging Face's
TEI/TGI). The gateway asks :func:`face_of` once per request: the answer labels the request's metrics,
log line and trace span, renders every error of the request, and says whether the answer carries
Elasticsearch's product header. Paths no face owns (``/health``, ``/_usage``, the page) are ``other``
and answer errors in Elasticsearch's envelope, hfgate's own. The longest matching prefix wins, so
``/v1/messages`` is Anthropic's although ``/v1/`` is OpenAI's.
"""

from __future__ import annotations

import orjson
from starlette.responses import Response

from hfgate.api.anthropic.errors import FACE as ANTHROPIC
from hfgate.api.es.errors import FACE as ELASTICSEARCH
from hfgate.api.es.errors import render_es
from hfgate.api.face import Face
from hfgate.api.gemini.errors import FACE as GEMINI
from hfgate.api.hf.errors import FACE as HF
from hfgate.api.openai.errors import FACE as OPENAI
from hfgate.errors import HfGateError, KeyLimitError, ModelNotReadyError

OTHER = Face("other", (), render_es)
"""Paths no face owns (``/health``, ``/_usage``, the page): hfgate's own, in Elasticsearch's envelope."""

FACES = (ELASTICSEARCH, OPENAI, ANTHROPIC, GEMINI, HF)
_BY_PREFIX = sorted(((prefix, face) for face in FACES for prefix in face.prefixes), key=lambda p: -len(p[0]))
_BY_PATH = {path: face for face in FACES for path in face.exact}
_BY_PATTERN = [face for face in FACES if face.pattern is not None]


def face_of(path: str) -> Face:
    """The face that owns ``path``.

    Example:
        >>> face_of("/v1/embeddings").name, face_of("/v1/messages").name, face_of("/health").name
        ('openai', 'anthropic', 'other')
        >>> face_of("/v1/models/e5:embedContent").name
        'gemini'
    """
    exact = _BY_PATH.get(path)
    if exact is not None:
        return exact
    for face in _BY_PATTERN:
        if face.pattern is not None and face.pattern.match(path):
            return face
    for prefix, face in _BY_PREFIX:
        if path.startswith(prefix):
            return face
    return OTHER


def error_response(path: str, error: HfGateError, *, face: Face | None = None) -> Response:
    """``error`` answered in the shape of ``face``, by default the face that owns ``path``."""
    status, body = (face or face_of(path)).render(path, error)
    return Response(
        orjson.dumps(body), status_code=status, media_type="application/json", headers=_headers(status, error)
    )


def _headers(status: int, error: HfGateError) -> dict[str, str] | None:
    if status == 401:
        return {"WWW-Authenticate": "Bearer"}
    if isinstance(error, KeyLimitError | ModelNotReadyError):
        return {"Retry-After": str(error.retry_after)}
    return None

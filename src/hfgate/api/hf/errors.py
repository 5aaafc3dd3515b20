"""TEI's and TGI's error shape, ``{"error", "error_type"}``, with their status codes.

TEI spells types in PascalCase (``Validation``, ``Overloaded``, ``Backend``), TGI in lowercase
(``validation``, ``overloaded``, ``generation``). Invalid input is 422 on both; backend failures 424; a model
still downloading or loading 503 (TEI's ``Unhealthy``), with Retry-After; memory or disk full 507.
"""

from __future__ import annotations

from typing import Any

from hfgate.api.face import Face
from hfgate.errors import BadRequestError, EmptyInputError, HfGateError, ModelNotReadyError

TEI_ROUTES = ("/embed", "/rerank", "/tokenize", "/v1/embeddings", "/embed_all", "/predict", "/similarity", "/decode")


def render_hf(path: str, error: HfGateError) -> tuple[int, dict[str, Any]]:
    """Status and body as TEI (embedding routes) or TGI (the others) would send them."""
    status, kind = _classify(error)
    tei = path.endswith(TEI_ROUTES)
    error_type = kind.capitalize() if tei else kind
    if tei and kind == "generation":
        error_type = "Backend"
    return status, {"error": error.reason, "error_type": error_type}


def _classify(error: HfGateError) -> tuple[int, str]:
    if isinstance(error, EmptyInputError):
        return 400, "empty"
    if error.status in (401, 403, 404, 413, 429):
        names = {401: "unauthorized", 403: "unauthorized", 404: "not_found", 413: "payload_too_large"}
        return error.status, names.get(error.status, "overloaded")
    if isinstance(error, BadRequestError) and error.status == 400:
        return 422, "validation"
    if isinstance(error, ModelNotReadyError):
        # TEI's 503 ``Unhealthy``, the Inference API's "currently loading" status: InferenceClient and a TEI
        # client wait and retry on it (Retry-After says when), where a 424 would tell them the request failed
        return 503, "unhealthy"
    if error.status == 507:  # out of memory or disk: the status says which, whatever the face's words
        return 507, "generation"
    return 424, "generation"


FACE = Face("hf", ("/hf/",), render_hf)

"""TEI's and TGI's error shape, ``{"error", "error_type"}``, with their status codes.

TEI spells types in PascalCase (``Validation``, ``Overloaded``, ``Backend``), TGI in lowercase
(``validation``, ``overloaded``, ``generation``). Invalid input is 422 on both; backend failures 424.
"""

from __future__ import annotations

from typing import Any

from hfgate.api.face import Face
from hfgate.errors import BadRequestError, EmptyInputError, HfGateError

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
    return 424, "generation"


FACE = Face("hf", ("/hf/",), render_hf)

"""Every route hfgate serves, declared once (:mod:`hfgate.api.declare`): the API's face by face, then the web
page's. The app includes their routers, the role table reads their roles, and the OpenAPI document the API's
declarations. Only FastAPI's own documentation (``/docs``, ``/openapi.json``) is routed elsewhere."""

from __future__ import annotations

from collections.abc import Iterator

from starlette.routing import Match, Route

from hfgate.api import health, metrics, usage
from hfgate.api.anthropic.batches import ROUTES as ANTHROPIC_BATCHES
from hfgate.api.anthropic.routes import ROUTES as ANTHROPIC
from hfgate.api.apply import routes as apply
from hfgate.api.declare import Declared, FaceRoutes, PageRoutes
from hfgate.api.es import cluster as es_cluster
from hfgate.api.es import manage as es_manage
from hfgate.api.es import privileges as es_privileges
from hfgate.api.es import run as es_run
from hfgate.api.es import security as es_security
from hfgate.api.gemini.batches import ROUTES as GEMINI_BATCHES
from hfgate.api.gemini.files import ROUTES as GEMINI_FILES
from hfgate.api.gemini.routes import ROUTES as GEMINI
from hfgate.api.hf.errors import FACE as HF_FACE
from hfgate.api.hf.routes import ROUTES as HF
from hfgate.api.hf.schema import HfError
from hfgate.api.hf.tei_tasks import ROUTES as HF_TEI
from hfgate.api.openai import per_endpoint
from hfgate.api.openai.audio import ROUTES as OPENAI_AUDIO
from hfgate.api.openai.batches import ROUTES as OPENAI_BATCHES
from hfgate.api.openai.files import ROUTES as OPENAI_FILES
from hfgate.api.openai.moderations import ROUTES as OPENAI_MODERATIONS
from hfgate.api.openai.pooling import ROUTES as OPENAI_POOLING
from hfgate.api.openai.rerank import ROUTES as OPENAI_RERANK
from hfgate.api.openai.responses_routes import ROUTES as OPENAI_RESPONSES
from hfgate.api.openai.routes import ROUTES as OPENAI
from hfgate.api.ui import batch_routes as ui_batch_routes
from hfgate.api.ui import routes as ui_routes
from hfgate.api.ui import usage_routes as ui_usage_routes

# Elasticsearch's routes, in the order they match: endpoints, inference, keys
ELASTICSEARCH = (es_manage.ROUTES, es_run.ROUTES, es_security.ROUTES, es_privileges.ROUTES)

HF_OPENAI = per_endpoint.declare(FaceRoutes(HF_FACE, tag="Hugging Face-compatible (TEI/TGI)", error=HfError))
"""The OpenAI face's routes per endpoint, under ``/hf/{inference_id}/v1``: on the Hugging Face face."""

APP_WIDE = (health.ROUTES, metrics.ROUTES, usage.ROUTES, es_cluster.ROUTES)
"""``/health``, ``/ready``, ``/metrics`` and ``/_usage`` (no face's), ``GET /`` and ``HEAD /`` (Elasticsearch's)."""

FACE_ROUTES: tuple[FaceRoutes, ...] = (
    *APP_WIDE, *ELASTICSEARCH, OPENAI, OPENAI_RERANK, OPENAI_AUDIO, OPENAI_POOLING, OPENAI_MODERATIONS,
    OPENAI_FILES, OPENAI_BATCHES,
    ANTHROPIC, ANTHROPIC_BATCHES, GEMINI, GEMINI_BATCHES, GEMINI_FILES, HF, HF_TEI, HF_OPENAI,
    OPENAI_RESPONSES, apply.ROUTES
)  # fmt: skip
"""In the order the app includes them. The app-wide routes take no POST; of the rest, Elasticsearch's inference
comes first: its plain routes are the first a request is matched against. The Responses API comes after
the other faces, as it always has; configuration as code (``/_hfgate``, no face's) last. A face may declare its
routes in more than one module (Elasticsearch's; the OpenAI face's rerank, audio, vLLM's pooling routes,
moderations, Files, Batches and Responses API; its routes per endpoint under ``/hf/{inference_id}/v1``, which
take the Hugging Face face; TEI's task routes on the Hugging Face face; the Anthropic face's Message Batches;
the Gemini face's batches and files)."""


PAGES: tuple[PageRoutes, ...] = (ui_routes.PAGES, ui_usage_routes.PAGES, ui_batch_routes.PAGES)
"""The web page's routes (``/ui``): no part of the API's document."""


def declared() -> Iterator[Declared]:
    """Every declared route, face by face."""
    for face in FACE_ROUTES:
        yield from face.declared


def plain_routes() -> list[Route]:
    """Every face's plain inference routes (:func:`hfgate.api.declare.plain_route`), in the order declared: the
    app matches them before any other route.

    Raises:
        ValueError: a POST route that is not plain would be overtaken by a plain route declared after it
            (one matching its path; a path with parameters, by any): declare it after them, or make it plain.
    """
    routes = list(declared())
    for index, route in enumerate(routes):
        if route.method != "post" or route.plain is not None:
            continue
        later = [other.plain for other in routes[index + 1 :] if other.plain is not None]
        probe = {"type": "http", "method": "POST", "path": route.path}
        if later and ("{" in route.path or any(plain.matches(probe)[0] is Match.FULL for plain in later)):
            raise ValueError(f"POST {route.path} would be overtaken by a plain inference route declared after it")
    return [route.plain for route in routes if route.plain is not None]

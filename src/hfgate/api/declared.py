"""The faces whose routes are declared once (:mod:`hfgate.api.declare`): the app includes their routers,
the role table and the OpenAPI document read their declarations from this list."""

from __future__ import annotations

from collections.abc import Iterator

from hfgate.api.anthropic.routes import ROUTES as ANTHROPIC
from hfgate.api.declare import Declared, FaceRoutes
from hfgate.api.es import manage as es_manage
from hfgate.api.es import privileges as es_privileges
from hfgate.api.es import run as es_run
from hfgate.api.es import security as es_security
from hfgate.api.gemini.routes import ROUTES as GEMINI
from hfgate.api.hf.routes import ROUTES as HF

# Elasticsearch's routes, in the order they match: endpoints, inference, keys and usage
ELASTICSEARCH = (es_manage.ROUTES, es_run.ROUTES, es_security.ROUTES, es_privileges.ROUTES)
FACE_ROUTES: tuple[FaceRoutes, ...] = (*ELASTICSEARCH, ANTHROPIC, GEMINI, HF)


def declared() -> Iterator[Declared]:
    """Every declared route, face by face."""
    for face in FACE_ROUTES:
        yield from face.declared

"""The endpoint registry: storage (SQLAlchemy), ordered migrations, and secret encryption."""

from hfgate.registry.endpoint import Endpoint

__all__ = ["Endpoint"]

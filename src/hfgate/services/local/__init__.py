"""The ``local`` service: models that run in this process.

``service.py`` opens each endpoint as the model object of its kind (``embedding.py``,
``generation.py``, ``rerank.py``, ``sparse.py``, ``managed_generation.py``), each over ``base.py``'s
model lookups; ``model_check.py`` refuses at create a model of another kind than the endpoint's task;
``keys.py`` names what the model cache holds; the settings each part declares and the tool-call plan
have a module each.
"""

from hfgate.services.local.service import LocalService

__all__ = ["LocalService"]

"""The orchestrator: the one place every API face goes through.

It manages endpoints (create, read, update, delete) and runs inference: look up the endpoint, check
the task type, merge task settings, call the service, and hand back task results that each face
shapes into its own wire format. Faces never call a service directly.
"""

from hfgate.orchestrator.core import Orchestrator

__all__ = ["Orchestrator"]

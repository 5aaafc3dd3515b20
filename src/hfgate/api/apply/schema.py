"""The bodies of ``POST /_hfgate/apply`` (configuration as code): the request model decodes the body (strict:
``"dry_run": "yes"`` is refused), the answer's models are the OpenAPI document's."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class ApplyRequest(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True, strict=True)

    document: str = Field(description="The text of the YAML or JSON file (endpoints by id, keys by name).")
    file: str | None = Field(default=None, description="The file's name, used in error messages.")
    env: dict[str, str] | None = Field(default=None, description="Values of the file's ${ENV_VAR} references.")
    dry_run: bool = Field(default=False, description="Say what would change; change nothing.")
    prune: bool = Field(default=False, description="Delete endpoints and revoke keys the file does not name.")


class ApplyChange(BaseModel):
    action: str = Field(description="create, update or delete (a key's delete is a revocation).")
    kind: str = Field(description="endpoint or key.")
    name: str
    details: list[str]


class CreatedKey(BaseModel):
    name: str
    id: str
    encoded: str = Field(description="The new key, shown this once.")


class ApplyResult(BaseModel):
    dry_run: bool
    summary: str
    changes: list[ApplyChange]
    diff: str = Field(description="The changes, one block per entry (+ create, ~ update, - delete).")
    unchanged: int
    created_keys: list[CreatedKey]

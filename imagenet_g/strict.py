"""The pydantic base of every file format we read or write: unknown keys are errors, values are frozen."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, ValidationError


class StrictModel(BaseModel):
    """A frozen pydantic model that rejects unknown keys."""

    model_config = ConfigDict(extra="forbid", frozen=True)


def validation_message(exc: ValidationError) -> str:
    """Every problem of a validation error on one line: ``key.path: message; ...``."""
    parts = []
    for error in exc.errors():
        key = ".".join(str(p) for p in error["loc"]) or "(top level)"
        message = error["msg"].removeprefix("Value error, ")
        if error["type"] == "extra_forbidden":
            message = "unknown key; remove it or fix its spelling"
        parts.append(f"{key}: {message}")
    return "; ".join(parts)

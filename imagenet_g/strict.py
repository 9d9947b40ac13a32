"""The pydantic base of every file format we read or write: unknown keys are errors, values are frozen."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, ValidationError

from imagenet_g.errors import ArgumentError


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


class StrictRequest(StrictModel):
    """What a job is asked to do (``EvalRequest``, ``AuditRequest``, ``TrainRequest``): a field that fails validation
    is an ``ArgumentError`` naming its parameter (``{field}``), which the CLI prints as one line with the flag."""

    def __init__(self, **data: Any) -> None:
        try:
            super().__init__(**data)
        except ValidationError as exc:
            fields = dict.fromkeys(str(e["loc"][0]) for e in exc.errors() if e["loc"])
            fix = f"set {', '.join(f'{{{f}}}' for f in fields)}" if fields else None
            raise ArgumentError(validation_message(exc), fix) from None

"""A leaderboard submission: one eval results JSON plus what a reader needs to place the model.

Stored as ``leaderboard/submissions/<release>/<slug>.json``; the slug comes from the model id, so one
model has one entry per release.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from imagenet_g.results import EvalResult
from imagenet_g.slugs import slug

SUBMISSION_SCHEMA_VERSION = 1

Category = Literal["real", "generated", "real+generated", "more data", "other"]
CATEGORIES: tuple[str, ...] = Category.__args__

_URL = r"^https?://[^\s<>\"']+$"
# DEL and the bidi embedding/override/isolate controls: they can make a name display as another one
_INVISIBLE = frozenset("\x7f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
_RELEASE = r"^[A-Za-z0-9][A-Za-z0-9._-]*$"


class Submission(BaseModel):
    """The file format of one leaderboard entry; unknown keys are errors."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    schema_version: Literal[1] = SUBMISSION_SCHEMA_VERSION
    name: str = Field(min_length=1, max_length=120, description="display name, e.g. 'ResNet-50 (timm a1_in1k)'")
    release: str = Field(pattern=_RELEASE, description="the ImageNet-G release evaluated, e.g. 'v1'")
    category: Category = Field(description="what the model was trained on")
    is_standard: bool = Field(
        default=False,
        description="a standard (real-data, standard-training) model: a baseline point of the ImageNet-G fit",
    )
    paper: str | None = Field(default=None, pattern=_URL, description="http(s) link to the paper")
    code: str | None = Field(default=None, pattern=_URL, description="http(s) link to the code or weights")
    submitted_by: str | None = Field(default=None, min_length=1, max_length=120)
    result: EvalResult = Field(description="the `imagenet-g eval` results JSON, unchanged")

    @field_validator("name", "submitted_by")
    @classmethod
    def _one_line(cls, value: str | None) -> str | None:
        if value is not None and (not value.strip() or any(ch in _INVISIBLE or ord(ch) < 32 for ch in value)):
            raise ValueError("must be one line of visible text (no control characters, line breaks or "
                             "text-direction overrides)")
        return value

    @model_validator(mode="after")
    def _standard_means_real(self) -> Submission:
        if self.is_standard and self.category != "real":
            raise ValueError(f"is_standard: a standard model is trained on real data only, but category is "
                             f"{self.category!r}; drop --standard or use --category real")
        return self

    @property
    def model_id(self) -> str:
        """The model id the eval ran with (``result.model.id``)."""
        return self.result.model.id

    @property
    def model_source(self) -> str:
        """Where the model came from: timm, open_clip or custom."""
        return self.result.model.source

    @property
    def slug(self) -> str:
        """The file stem under ``submissions/<release>/``."""
        return slug(self.model_id)


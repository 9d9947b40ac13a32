"""A leaderboard submission: one eval results JSON plus what a reader needs to place the model.

Stored as ``leaderboard/submissions/<release>/<slug>.json``; the slug comes from the model id, so one
model has one entry per release.
"""

from __future__ import annotations

import unicodedata
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from imagenet_g.dotted import strings
from imagenet_g.leaderboard.constants import Category
from imagenet_g.results import RESULTS_SCHEMA_VERSION, EvalResult
from imagenet_g.slugs import slug

_SUBMISSION_SCHEMA_VERSION = 1

_URL = r"^https?://[^\s<>\"']+$"
# the text-direction marks, embeddings, overrides and isolates: they can make one text display as another
_BIDI = frozenset("\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
_RELEASE = r"^[A-Za-z0-9][A-Za-z0-9._-]*$"
_MAX_MODEL_ID = 256  # characters; a model id is a name or import path, not a document


def _hidden_character(text: str) -> str | None:
    """The first control (C0, DEL, C1) or text-direction character in ``text``, as 'U+202E', or None."""
    for ch in text:
        if ch in _BIDI or unicodedata.category(ch) == "Cc":
            return f"U+{ord(ch):04X}"
    return None


def _shown(key: object) -> str:
    """A dict key as a location names it: ``<key>`` for one that is not visible text."""
    return key if isinstance(key, str) and not _hidden_character(key) else "<key>"


def result_problems(result: EvalResult) -> list[str]:
    """What makes a results file unfit for the board beyond its schema: an unknown schema version, an
    over-long model id, control or text-direction characters in any text field. One ``field: problem`` each."""
    problems = []
    if result.schema_version != RESULTS_SCHEMA_VERSION:
        problems.append(f"result.schema_version: {result.schema_version} is not a results schema this imagenet-g "
                        f"reads ({RESULTS_SCHEMA_VERSION}); evaluate again with this version of imagenet-g")
    if len(result.model.id) > _MAX_MODEL_ID:
        problems.append(f"result.model.id: {len(result.model.id)} characters, at most {_MAX_MODEL_ID}; "
                        f"evaluate under a shorter model id")
    for where, text in strings(result.model_dump(mode="json"), "result", _shown):
        found = _hidden_character(text)
        if found:
            problems.append(f"{where}: contains {found}, a control or text-direction character; "
                            f"text fields must be visible text")
    return problems


class Submission(BaseModel):
    """The file format of one leaderboard entry; unknown keys are errors."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    schema_version: Literal[1] = _SUBMISSION_SCHEMA_VERSION
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
    results_file: str | None = Field(
        default=None, description="where the results JSON was when entered, as a path from this file's folder "
                                  "(/-separated): its checkpoint path starts there")
    result: EvalResult = Field(description="the `imagenet-g eval` results JSON, unchanged")

    @field_validator("name", "submitted_by", "paper", "code")
    @classmethod
    def _one_line(cls, value: str | None) -> str | None:
        if value is not None and (not value.strip() or _hidden_character(value)):
            raise ValueError("must be one line of visible text (no control characters, line breaks or "
                             "text-direction overrides)")
        return value

    @model_validator(mode="after")
    def _standard_means_real(self) -> Submission:
        if self.is_standard and self.category != "real":
            raise ValueError(f"is_standard: a standard model is trained on real data only, but category is "
                             f"{self.category!r}; mark it as not standard or give category real")
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


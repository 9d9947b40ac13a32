"""The audit JSON: what `imagenet-g audit` writes (versioned; numbers as numbers, counts beside every metric)."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Literal

from pydantic import Field

from imagenet_g.files import atomic_write_text
from imagenet_g.strict import StrictModel

AUDIT_SCHEMA_VERSION = 3  # 2: safety records where its flags came from; 3: exact totals beside the listed pairs


class ExtractorInfo(StrictModel):
    """A feature extractor used by the audit and what decided its features."""

    role: str = Field(description="fidelity (FID/KID), clip (consistency, diversity, memorisation) or safety")
    id: str
    weights_sha256: str
    dim: int
    preprocess: dict[str, object]
    random_weights: bool = Field(description="True for the built-in test extractors: numbers prove tooling only")


class DatasetInfo(StrictModel):
    """A dataset the audit read."""

    name: str
    version: str | None = None
    source: str
    fingerprint: str = Field(description="what the feature cache is keyed on (shard sha256s for a release)")
    images: int
    unreadable: dict[str, int] = Field(default_factory=dict)


class ImageRef(StrictModel):
    """One image of the audited release."""

    position: int = Field(description="row number in the release split")
    label: int
    class_name: str
    template_id: int | None = None
    prompt: str | None = None


class Distance(StrictModel):
    """FID and KID between a reference set and the audited set."""

    fid: float
    kid: float
    kid_std: float
    kid_subset_size: int
    n_reference: int
    n_audited: int
    singular_covariance: bool = Field(description="fewer samples than feature dimensions: FID is unreliable")


class ClassDistance(Distance):
    label: int
    class_name: str


class Fidelity(StrictModel):
    """FID/KID of the release against a reference set, overall and per class."""

    reference: str
    extractor: str
    overall: Distance
    per_class: list[ClassDistance]
    per_class_skipped: dict[int, str] = Field(default_factory=dict)
    mean_class_fid: float | None = None
    mean_class_kid: float | None = None


class ShiftCell(StrictModel):
    """One cell of the distance-to-shift-sets table (the paper's per-class FID table)."""

    row: str = Field(description="the dataset measured: the reference (real data) or the release")
    column: str = Field(description="the natural-shift set")
    classes: int = Field(description="classes both hold; both sides are restricted to them")
    pooled: Distance
    mean_class_fid: float | None = Field(description="mean of per-class FIDs over the shared classes (paper)")
    mean_class_kid: float | None = None


class ClassConsistency(StrictModel):
    label: int
    class_name: str
    images: int
    zero_shot_top1: float
    clip_score: float | None = None


class OffClassImage(StrictModel):
    image: ImageRef
    predicted: int
    predicted_name: str


class Consistency(StrictModel):
    """Does each image show its label? Zero-shot CLIP top-1 against the labels, CLIPScore against the prompts."""

    model: str
    templates: str
    zero_shot_top1: float
    clip_score: float | None = Field(description="mean of per-image max(100 cos, 0); None without prompts")
    images: int
    threshold: float
    classes_below_threshold: list[int]
    per_class: list[ClassConsistency]
    per_template: dict[int, float] = Field(default_factory=dict, description="template id -> zero-shot top-1")
    off_class: list[OffClassImage] = Field(description="images whose zero-shot prediction is another class")
    off_class_total: int


class GroupDiversity(StrictModel):
    group: int = Field(description="class label or template id")
    name: str
    images: int
    vendi: float
    mean_pairwise_distance: float | None = None


class DuplicatePair(StrictModel):
    a: ImageRef
    b: ImageRef
    similarity: float


class Diversity(StrictModel):
    """Vendi score (cosine kernel) and mean pairwise cosine distance of CLIP image embeddings; near-duplicates."""

    extractor: str
    vendi: float
    mean_pairwise_distance: float | None
    per_class: list[GroupDiversity]
    per_template: list[GroupDiversity]
    duplicate_threshold: float
    duplicates_within_class_total: int = Field(description="pairs in the same class at or above the threshold")
    duplicates_across_release_total: int = Field(description="pairs anywhere in the release at or above it")
    duplicates_within_class: list[DuplicatePair] = Field(description="the most similar of them, at most 200")
    duplicates_across_release: list[DuplicatePair] = Field(description="the most similar of them, at most 200")


class Safety(StrictModel):
    """The safety checker's verdicts, recorded only: no image is altered."""

    checker: str
    source: Literal["release nsfw column", "checker run by the audit"] = Field(
        description="the build's flags, reused when the build ran this very checker; else the audit ran it")
    source_reason: str = Field(description="why that source: the matching weights, or why the column was not usable")
    images: int
    flagged: int
    flagged_share: float
    flagged_images: list[ImageRef]


class MemorisationMatch(StrictModel):
    image: ImageRef
    reference_key: str
    similarity: float


class Memorisation(StrictModel):
    """Generated images whose nearest reference image is closer than a threshold: possible memorisation."""

    reference: str
    extractor: str
    threshold: float
    images: int
    max_similarity: float
    matches_total: int = Field(description="generated images at or above the threshold")
    matches: list[MemorisationMatch] = Field(description="the most similar of them, at most 200")


class AuditResult(StrictModel):
    """One audit of one release."""

    schema_version: int = AUDIT_SCHEMA_VERSION
    release: DatasetInfo
    datasets: list[DatasetInfo] = Field(description="reference and shift sets read")
    extractors: list[ExtractorInfo]
    consistency: Consistency | None = None
    fidelity: Fidelity | None = None
    shift_table: list[ShiftCell] = Field(default_factory=list)
    diversity: Diversity | None = None
    safety: Safety | None = None
    memorisation: Memorisation | None = None
    skipped: dict[str, str] = Field(default_factory=dict, description="metric -> why it was not computed")
    random_weights: bool = Field(description="some extractor had random weights: the numbers prove tooling only")
    environment: dict[str, str]
    created: datetime

    def write(self, path: Path) -> None:
        """Write the JSON atomically."""
        atomic_write_text(path, self.model_dump_json(indent=1))


def read_audit(path: Path) -> AuditResult:
    """Read an audit JSON of this schema version (strict types); a missing, malformed or older file is one error
    line (older audits listed at most 200 pairs and counted no more: audit again, from the feature cache)."""
    import json

    from pydantic import ValidationError

    from imagenet_g.errors import DatasetNotFoundError
    from imagenet_g.strict import validation_message

    path = Path(path)
    if not path.is_file():
        raise DatasetNotFoundError(f"audit file {path} does not exist", "audit the release first")
    again = "audit the release again (the features are cached: it costs only the metrics)"
    try:
        text = path.read_text(encoding="utf-8")
        data = json.loads(text)
        version = data.get("schema_version")
    except (OSError, UnicodeDecodeError, ValueError, AttributeError) as exc:
        raise DatasetNotFoundError(f"{path} is not an audit JSON ({type(exc).__name__})", again) from None
    if not {"release", "extractors"} <= set(data):  # every audit of every schema has both
        raise DatasetNotFoundError(f"{path} is not an audit JSON (no release and extractors)",
                                   "give the audit.json that `imagenet-g audit` wrote")
    if version != AUDIT_SCHEMA_VERSION:
        raise DatasetNotFoundError(f"{path} is an audit of schema_version {version!r}; this imagenet-g reads "
                                   f"{AUDIT_SCHEMA_VERSION}", again)
    try:
        return AuditResult.model_validate_json(text, strict=True)
    except ValidationError as exc:
        raise DatasetNotFoundError(f"{path} is not an audit JSON of schema {AUDIT_SCHEMA_VERSION}: "
                                   f"{validation_message(exc)[:300]}", again) from None

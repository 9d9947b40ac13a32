"""Release specs (``releases/<version>/spec.yaml``), their canonical hash, and the lock.

The spec is the human intent: which generator, which prompts, which output format. The lock
(``releases/<version>/spec.lock``) records what a build actually loaded: the resolved model commit,
the sha256 of every weight file, and the library versions. Later builds compare against it.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from imagenet_g.errors import OutputError, SpecError, UnknownNameError, close_matches
from imagenet_g.files import atomic_write_text
from imagenet_g.labels import TEMPLATE_SETS, resolve_classes

SPEC_FILE = "spec.yaml"
LOCK_FILE = "spec.lock"
RELEASES_ENV = "IMAGENET_G_RELEASES"
MAX_SEED = 2**63  # pyarrow's int64 rejects larger seeds
_SPLIT_NAME = re.compile(r"^[a-z][a-z0-9_]*$")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class SchedulerSpec(_Strict):
    """A diffusers scheduler class, built with ``from_config`` from the model's own scheduler config."""

    name: str = Field(description="diffusers scheduler class, e.g. PNDMScheduler, DDIMScheduler")
    config: dict[str, bool | int | float | str] = Field(default_factory=dict, description="overrides of its config")


class GeneratorSpec(_Strict):
    """Which diffusion pipeline to run and how to sample from it."""

    source: Literal["hub", "local", "tiny"] = Field(
        description="hub: a Hub model id; local: a saved pipeline folder (relative to the spec); tiny: built in code"
    )
    model: str = Field(min_length=1)
    revision: str | None = Field(default=None, description="Hub branch, tag or commit (hub only)")
    variant: str | None = Field(default=None, description="weight variant to download, e.g. fp16 (hub only)")
    pipeline: Literal["text-to-image", "image-to-image"] = "text-to-image"
    scheduler: SchedulerSpec
    steps: int = Field(ge=1, le=1000)
    guidance: float = Field(ge=0.0, le=50.0)
    width: int = Field(ge=8, le=4096)
    height: int = Field(ge=8, le=4096)
    dtype: Literal["float16", "bfloat16", "float32"] = Field(
        default="float16", description="dtype on GPU; CPU always runs float32"
    )
    negative_prompt: str | None = None
    safety_checker: bool = False
    strength: float | None = Field(default=None, gt=0.0, le=1.0, description="image-to-image only")
    init_images: str | None = Field(
        default=None, description="image-to-image only: folder of <wnid>/ image folders, relative to the spec"
    )

    @field_validator("width", "height")
    @classmethod
    def _multiple_of_8(cls, value: int) -> int:
        # The VAE downsamples by 8 and the pipelines reject other sizes.
        if value % 8:
            raise ValueError(f"must be a multiple of 8 (got {value})")
        return value

    @model_validator(mode="after")
    def _pipeline_inputs(self) -> GeneratorSpec:
        image_to_image = self.pipeline == "image-to-image"
        if image_to_image and (self.init_images is None or self.strength is None):
            raise ValueError("pipeline image-to-image needs both init_images and strength")
        if not image_to_image and (self.init_images is not None or self.strength is not None):
            raise ValueError("init_images and strength apply only to pipeline image-to-image")
        if self.source != "hub" and (self.revision is not None or self.variant is not None):
            raise ValueError("revision and variant apply only to source hub")
        return self


class PlanSpec(_Strict):
    """Which classes, how many images per class in each split, which templates, which seeds."""

    classes: str | list[str | int] = Field(
        default="imagenet-1k", description="a subset name (imagenet-1k, imagenet-100, ...), or wnids / indices"
    )
    splits: dict[str, int] = Field(min_length=1, description="split name -> images per class")
    templates: str = "openai_imagenet_80"
    template_assignment: Literal["round_robin"] = Field(
        default="round_robin",
        description="template_id = (class position * images per class + image index) mod number of templates",
    )
    base_seed: int = Field(ge=0, lt=MAX_SEED)

    @field_validator("classes")
    @classmethod
    def _known_classes(cls, value: str | list[str | int]) -> str | list[str | int]:
        try:
            resolve_classes(value)
        except UnknownNameError as exc:
            raise ValueError(str(exc)) from None
        return value

    @field_validator("splits")
    @classmethod
    def _split_names(cls, value: dict[str, int]) -> dict[str, int]:
        for name, count in value.items():
            if not _SPLIT_NAME.match(name):
                raise ValueError(f"split name {name!r} must be lowercase letters, digits and _")
            if isinstance(count, bool) or count < 1:
                raise ValueError(f"split {name!r} needs at least 1 image per class (got {count})")
        return value

    @field_validator("templates")
    @classmethod
    def _known_templates(cls, value: str) -> str:
        if value not in TEMPLATE_SETS:
            raise ValueError(
                f"unknown template set {value!r}{close_matches(value, TEMPLATE_SETS)}; "
                f"choose one of: {', '.join(TEMPLATE_SETS)}"
            )
        return value

    def class_indices(self) -> tuple[int, ...]:
        """The selected ImageNet class indices, ascending."""
        return resolve_classes(self.classes)


class OutputSpec(_Strict):
    """How images are encoded and how rows are grouped into parquet shards."""

    image_format: Literal["png", "jpeg"] = "png"
    jpeg_quality: int = Field(default=95, ge=1, le=95, description="JPEG only")
    rows_per_shard: int = Field(ge=1, le=100_000)


class ReleaseSpec(_Strict):
    """A release spec: generator x plan x output. Unknown keys are errors."""

    description: str = ""
    generator: GeneratorSpec
    plan: PlanSpec
    output: OutputSpec

    def content_hash(self) -> str:
        """sha256 of the canonical JSON of the validated spec (defaults filled in, keys sorted)."""
        canonical = json.dumps(self.model_dump(mode="json"), sort_keys=True, separators=(",", ":"))
        return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def _validation_message(exc: ValidationError) -> str:
    parts = []
    for error in exc.errors():
        key = ".".join(str(p) for p in error["loc"]) or "(top level)"
        message = error["msg"].removeprefix("Value error, ")
        if error["type"] == "extra_forbidden":
            message = "unknown key; remove it or fix its spelling"
        parts.append(f"{key}: {message}")
    return "; ".join(parts)


def parse_spec(data: object, origin: str = "spec") -> ReleaseSpec:
    """Validate a parsed spec mapping; errors name the key (e.g. ``generator.steps``)."""
    if not isinstance(data, dict):
        raise SpecError(f"{origin}: expected a mapping of keys generator, plan, output")
    try:
        return ReleaseSpec.model_validate(data)
    except ValidationError as exc:
        raise SpecError(f"{origin}: {_validation_message(exc)}") from None


def load_spec(path: Path) -> ReleaseSpec:
    """Read and validate a spec YAML file."""
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" line {mark.line + 1}" if mark is not None else ""
        raise SpecError(f"{path}:{where} is not valid YAML ({getattr(exc, 'problem', exc)})") from None
    except OSError as exc:
        raise SpecError(f"cannot read spec {path}: {exc.strerror or exc}") from None
    return parse_spec(data, origin=str(path))


class Lock(_Strict):
    """What a build loaded: model identity, weight checksums, library versions."""

    source: str
    model: str
    revision: str | None = None
    commit: str | None = Field(default=None, description="resolved Hub commit")
    files: dict[str, str] = Field(description="weight file (or tiny component) -> sha256")
    libraries: dict[str, str]


def lock_differences(locked: Lock, current: Lock) -> list[str]:
    """Human-readable differences between the committed lock and what would be loaded now."""
    diffs = []
    for key in ("source", "model", "revision", "commit"):
        if getattr(locked, key) != getattr(current, key):
            diffs.append(f"{key} {getattr(locked, key)!r} -> {getattr(current, key)!r}")
    for name in sorted(set(locked.files) | set(current.files)):
        if name not in current.files:
            diffs.append(f"file {name} missing")
        elif name not in locked.files:
            diffs.append(f"file {name} added")
        elif locked.files[name] != current.files[name]:
            diffs.append(f"file {name} sha256 changed")
    for name in sorted(set(locked.libraries) | set(current.libraries)):
        if locked.libraries.get(name) != current.libraries.get(name):
            diffs.append(f"{name} {locked.libraries.get(name)} -> {current.libraries.get(name)}")
    return diffs


def read_lock(path: Path) -> Lock | None:
    """Read a lock file; None when there is none yet."""
    if not path.exists():
        return None
    try:
        return Lock.model_validate_json(path.read_text(encoding="utf-8"))
    except ValidationError as exc:
        raise SpecError(f"{path}: {_validation_message(exc)}; delete it to re-lock from the next build") from None


def write_lock(path: Path, lock: Lock) -> None:
    """Write a lock file (JSON, which is also YAML) atomically."""
    try:
        atomic_write_text(path, lock.model_dump_json(indent=2) + "\n")
    except OSError as exc:
        raise OutputError(
            f"cannot write the lock {path}: {exc.strerror or exc}; make the releases folder writable "
            "(or pass --releases-dir) and build again"
        ) from None


def releases_dir(explicit: Path | None = None) -> Path:
    """The folder of release specs: explicit > $IMAGENET_G_RELEASES > the repo next to the package > ./releases."""
    if explicit is not None:
        candidates = [Path(explicit)]
    elif os.environ.get(RELEASES_ENV):
        candidates = [Path(os.environ[RELEASES_ENV])]
    else:
        candidates = [Path(__file__).resolve().parent.parent / "releases", Path.cwd() / "releases"]
    for candidate in candidates:
        if candidate.is_dir():
            return candidate
    raise UnknownNameError(
        f"no releases folder at {candidates[0]}; pass --releases-dir or set {RELEASES_ENV} to the repo's releases/"
    )


def list_versions(folder: Path) -> tuple[str, ...]:
    """Versions that have a spec in ``folder``, sorted."""
    return tuple(sorted(p.parent.name for p in folder.glob(f"*/{SPEC_FILE}")))


@dataclass(frozen=True)
class Release:
    """A version's spec as found in the releases folder."""

    version: str
    folder: Path
    spec: ReleaseSpec
    spec_hash: str

    @property
    def lock_path(self) -> Path:
        return self.folder / LOCK_FILE


def load_release(version: str, folder: Path | None = None) -> Release:
    """Load and validate ``releases/<version>/spec.yaml``; unknown versions raise with close matches."""
    root = releases_dir(folder)
    versions = list_versions(root)
    if version not in versions:
        raise UnknownNameError(
            f"unknown release version {version!r}{close_matches(version, versions)}; "
            f"known: {', '.join(versions) or 'none'} (in {root})"
        )
    spec = load_spec(root / version / SPEC_FILE)
    return Release(version=version, folder=root / version, spec=spec, spec_hash=spec.content_hash())


def list_releases(folder: Path | None = None) -> list[Release]:
    """Every release in the releases folder, validated, by version name."""
    root = releases_dir(folder)
    return [load_release(version, root) for version in list_versions(root)]


__all__ = [
    "GeneratorSpec",
    "Lock",
    "OutputSpec",
    "PlanSpec",
    "Release",
    "ReleaseSpec",
    "SchedulerSpec",
    "list_releases",
    "list_versions",
    "load_release",
    "load_spec",
    "lock_differences",
    "parse_spec",
    "read_lock",
    "releases_dir",
    "write_lock",
]

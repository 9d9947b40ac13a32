"""Release specs (``<specs dir>/<version>/spec.yaml``), their canonical hash, and where they are found.

The spec is the human intent: which generator, which prompts, which output format. The specs of every
release ship inside the package (``imagenet_g/releases/``); a folder of one's own can be given instead.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import unicodedata
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Literal

import yaml
from pydantic import Field, ValidationError, field_validator, model_validator

from imagenet_g.dotted import strings
from imagenet_g.errors import SpecError, UnknownNameError, unknown
from imagenet_g.labels import TEMPLATE_SETS, resolve_classes
from imagenet_g.release.spec.lock import LOCK_FILE
from imagenet_g.strict import StrictModel, validation_message

SPEC_FILE = "spec.yaml"
_SPECS_ENV = "IMAGENET_G_SPECS"
_MAX_SEED = 2**63  # pyarrow's int64 rejects larger seeds
# Bounds that keep a plan what one build can hold: ImageNet-1k's training set has at most 1,300 images per class,
# so these leave ample room for a full-size generated training set while refusing a typo (10**12) at once.
MAX_IMAGES_PER_CLASS = 100_000
MAX_IMAGES = 10_000_000
_SPLIT_NAME = re.compile(r"^[a-z][a-z0-9_]*$")


class SchedulerSpec(StrictModel):
    """A diffusers scheduler class, built with ``from_config`` from the model's own scheduler config."""

    name: str = Field(description="diffusers scheduler class, e.g. PNDMScheduler, DDIMScheduler")
    config: dict[str, bool | int | float | str] = Field(default_factory=dict, description="overrides of its config")


_CONDITIONING = ("labels", "images", "labels+images", "class")
_PIPELINE_CLASS = r"^[A-Z][A-Za-z0-9]*Pipeline$"


class GeneratorSpec(StrictModel):
    """Which diffusion pipeline to run and how to sample from it."""

    source: Literal["hub", "local", "tiny"] = Field(
        description="hub: a Hub model id; local: a saved pipeline folder (relative to the spec); tiny: built in code"
    )
    model: str = Field(min_length=1)
    revision: str | None = Field(default=None, description="Hub branch, tag or commit (hub only)")
    variant: str | None = Field(default=None, description="weight variant to download, e.g. fp16 (hub only)")
    pipeline: str = Field(
        pattern=_PIPELINE_CLASS,
        description="diffusers pipeline class, e.g. StableDiffusionPipeline, StableDiffusionXLPipeline, DiTPipeline",
    )
    scheduler: SchedulerSpec
    steps: int = Field(ge=1, le=1000)
    guidance: float = Field(ge=0.0, le=50.0)
    width: int = Field(ge=8, le=4096)
    height: int = Field(ge=8, le=4096)
    dtype: Literal["float16", "bfloat16", "float32"] = Field(
        default="float16", description="dtype on GPU; CPU always runs float32"
    )
    negative_prompt: str | None = None
    safety_checker: bool = Field(
        default=False,
        description="run the model's safety checker as a classifier: each row records nsfw; the image is kept",
    )
    strength: float | None = Field(
        default=None, gt=0.0, le=1.0, description="labels+images only: how far the init image is noised (1 = fully)"
    )

    @field_validator("width", "height")
    @classmethod
    def _multiple_of_8(cls, value: int) -> int:
        # The VAE downsamples by 8 and the pipelines reject other sizes.
        if value % 8:
            raise ValueError(f"must be a multiple of 8 (got {value})")
        return value

    @model_validator(mode="after")
    def _hub_only(self) -> GeneratorSpec:
        if self.source != "hub" and (self.revision is not None or self.variant is not None):
            raise ValueError("revision and variant apply only to source hub")
        return self


class InitImagesSpec(StrictModel):
    """Which real images condition the generation; where they are on disk is given at build time."""

    dataset: Literal["imagenet-1k"] = Field(
        default="imagenet-1k", description="the real images' dataset, in its publisher's layout"
    )
    splits: dict[str, str] = Field(
        min_length=1, description="release split -> the dataset's split its init images come from (e.g. test: val)"
    )


class ConditioningSpec(StrictModel):
    """What each image is generated from (the paper's generation strategies)."""

    kind: Literal["labels", "images", "labels+images", "class"] = Field(
        default="labels",
        description="labels: a class prompt; images: a real image (image variations); labels+images: a real image "
        "and the class prompt (image-to-image); class: the class index (a class-conditional model)",
    )
    init_images: InitImagesSpec | None = Field(default=None, description="images and labels+images only")

    @property
    def uses_images(self) -> bool:
        return self.kind in ("images", "labels+images")

    @property
    def uses_prompts(self) -> bool:
        return self.kind in ("labels", "labels+images")

    @model_validator(mode="after")
    def _images_when_needed(self) -> ConditioningSpec:
        if self.uses_images and self.init_images is None:
            raise ValueError(f"kind {self.kind} needs init_images (dataset and splits)")
        if not self.uses_images and self.init_images is not None:
            raise ValueError(f"init_images apply only to kinds images and labels+images, not {self.kind}")
        return self


class PlanSpec(StrictModel):
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
    base_seed: int = Field(ge=0, lt=_MAX_SEED)

    @field_validator("classes")
    @classmethod
    def _known_classes(cls, value: str | list[str | int]) -> str | list[str | int]:
        try:
            resolved = resolve_classes(value)
        except UnknownNameError as exc:
            raise ValueError(str(exc)) from None
        if not resolved:
            raise ValueError("lists no class; name a subset (e.g. imagenet-100) or at least one wnid or index")
        return value

    @field_validator("splits")
    @classmethod
    def _split_names(cls, value: dict[str, int]) -> dict[str, int]:
        for name, count in value.items():
            if not _SPLIT_NAME.match(name):
                raise ValueError(f"split name {name!r} must be lowercase letters, digits and _")
            if isinstance(count, bool) or count < 1:
                raise ValueError(f"split {name!r} needs at least 1 image per class (got {count})")
            if count > MAX_IMAGES_PER_CLASS:
                raise ValueError(
                    f"split {name!r} asks for {count:,} images per class; at most {MAX_IMAGES_PER_CLASS:,}"
                )
        return value

    @field_validator("templates")
    @classmethod
    def _known_templates(cls, value: str) -> str:
        if value not in TEMPLATE_SETS:
            raise ValueError(str(unknown("template set", value, TEMPLATE_SETS)))
        return value

    @model_validator(mode="after")
    def _bounded(self) -> PlanSpec:
        total = self.image_count()
        if total > MAX_IMAGES:
            raise ValueError(
                f"plans {total:,} images ({len(self.class_indices())} classes x {sum(self.splits.values()):,} "
                f"per class over the splits); a release holds at most {MAX_IMAGES:,}: plan fewer images per class "
                "or fewer classes"
            )
        return self

    def class_indices(self) -> tuple[int, ...]:
        """The selected ImageNet class indices, ascending."""
        return resolve_classes(self.classes)

    def image_count(self, splits: tuple[str, ...] | None = None) -> int:
        """How many images the chosen splits (all by default) plan."""
        chosen = splits if splits is not None else tuple(self.splits)
        for split in chosen:
            if split not in self.splits:
                raise unknown("split", split, self.splits, error=SpecError)
        return len(self.class_indices()) * sum(self.splits[split] for split in chosen)


class OutputSpec(StrictModel):
    """How images are encoded and how rows are grouped into parquet shards."""

    image_format: Literal["png", "jpeg"] = "png"
    jpeg_quality: int = Field(default=95, ge=1, le=95, description="JPEG only")
    rows_per_shard: int = Field(ge=1, le=100_000)


class ReleaseSpec(StrictModel):
    """A release spec: generator x plan x output. Unknown keys are errors."""

    description: str = ""
    generator: GeneratorSpec
    conditioning: ConditioningSpec = Field(default_factory=ConditioningSpec)
    plan: PlanSpec
    output: OutputSpec

    @model_validator(mode="after")
    def _consistent(self) -> ReleaseSpec:
        if (self.conditioning.kind == "labels+images") != (self.generator.strength is not None):
            raise ValueError("generator.strength is required by, and applies only to, conditioning kind labels+images")
        images = self.conditioning.init_images
        if images is not None and set(images.splits) != set(self.plan.splits):
            raise ValueError(
                f"conditioning.init_images.splits must name a source split for each plan split "
                f"({', '.join(self.plan.splits)}); it names {', '.join(images.splits)}"
            )
        return self

    def content_hash(self) -> str:
        """sha256 of the canonical JSON of the validated spec (defaults filled in, keys sorted)."""
        canonical = json.dumps(self.model_dump(mode="json"), sort_keys=True, separators=(",", ":"))
        return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def _hidden_character(data: object) -> tuple[str, str] | None:
    """The first key whose text holds a character a reader would not see but a terminal or an editor acts on
    (controls, bidi overrides, zero-width marks; line breaks and tabs are text), and that character escaped."""
    for where, text in strings(data):
        for char in text:
            if char not in "\n\t" and unicodedata.category(char) in ("Cc", "Cf", "Zl", "Zp", "Co", "Cs"):
                return where or "(top level)", char.encode("unicode_escape").decode("ascii")
    return None


def parse_spec(data: object, origin: str = "spec") -> ReleaseSpec:
    """Validate a parsed spec mapping; errors name the key (e.g. ``generator.steps``). Text that hides characters
    (a bidi override in the description would be copied into the dataset card) is refused, naming the key."""
    if not isinstance(data, dict):
        raise SpecError(f"{origin}: expected a mapping of keys generator, plan, output")
    if hidden := _hidden_character(data):
        raise SpecError(f"{origin}: {hidden[0]}: holds the invisible character {hidden[1]}",
                        fix="remove it (the spec's text goes into prompts and the dataset card as written)")
    try:
        return ReleaseSpec.model_validate(data)
    except ValidationError as exc:
        raise SpecError(f"{origin}: {validation_message(exc)}") from None


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


def _packaged_specs_dir() -> Path:
    """The release specs shipped inside the package (``imagenet_g/releases``)."""
    return Path(str(resources.files("imagenet_g").joinpath("releases")))


def specs_dir(explicit: Path | None = None) -> Path:
    """The folder of release specs: ``explicit`` > ``$IMAGENET_G_SPECS`` > the specs shipped in the package."""
    if explicit is not None:
        folder, origin = Path(explicit), "the given specs folder"
    elif os.environ.get(_SPECS_ENV):
        folder, origin = Path(os.environ[_SPECS_ENV]), f"${_SPECS_ENV}"
    else:
        folder, origin = _packaged_specs_dir(), "the package's specs folder"
    if not folder.is_dir():
        raise SpecError(f"{origin} {folder} is not a folder", fix="set {specs_dir} to a folder of <version>/spec.yaml")
    if not list_versions(folder):  # an empty table or 'choose one of: none' would hide the mistake
        raise SpecError(f"{origin} {folder} holds no release spec", fix="set {specs_dir} to a folder of <version>/spec.yaml")
    return folder


def list_versions(folder: Path) -> tuple[str, ...]:
    """Versions that have a spec in ``folder``, sorted."""
    return tuple(sorted(p.parent.name for p in folder.glob(f"*/{SPEC_FILE}")))


@dataclass(frozen=True)
class ReleaseDefinition:
    """A version's spec as found in the specs folder, with its hash and where its lock goes."""

    version: str
    folder: Path
    spec: ReleaseSpec
    spec_hash: str

    @property
    def lock_path(self) -> Path:
        return self.folder / LOCK_FILE


def load_release(version: str, folder: Path | None = None) -> ReleaseDefinition:
    """Load and validate ``<specs dir>/<version>/spec.yaml``; unknown versions raise with close matches.

    Example:
        >>> from imagenet_g.release import load_release
        >>> release = load_release("v1")
        >>> release.spec.generator.model, release.spec.plan.splits
        ('stable-diffusion-v1-5/stable-diffusion-v1-5', {'test': 50, 'train': 1300})
    """
    root = specs_dir(folder)
    versions = list_versions(root)
    if version not in versions:
        raise unknown("release", version, versions, where=f"in {root}")
    spec = load_spec(root / version / SPEC_FILE)
    return ReleaseDefinition(version=version, folder=root / version, spec=spec, spec_hash=spec.content_hash())


def list_releases(folder: Path | None = None) -> list[ReleaseDefinition]:
    """Every release in the specs folder, validated, by version name."""
    root = specs_dir(folder)
    return [load_release(version, root) for version in list_versions(root)]

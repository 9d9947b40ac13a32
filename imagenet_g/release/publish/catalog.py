"""Every release at a glance, and what differs between two of them. Reads specs and manifests only (no torch).

The GPU time is an estimate from the settings, not a measurement: images x denoising steps x the time of one
Stable Diffusion v1.5 step at 512x512 on an A100, scaled by pixel count. The step time is the fal-ai
stable-diffusion-benchmarks figure for diffusers (torch 2.1, SDPA, fp16, A100 80GB SXM, batch 1): 1.604 s per
50-step image, i.e. 32.1 ms per step with classifier-free guidance (two UNet passes). Image-to-image runs
``steps x strength`` steps. Other generators (SDXL, SD3, Flux, DiT) have no reference here: no estimate.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

from imagenet_g.checks import check_folder
from imagenet_g.dotted import differences, flatten
from imagenet_g.errors import DatasetNotFoundError
from imagenet_g.release.spec import ReleaseDefinition, ReleaseSpec, list_releases, load_release
from imagenet_g.release.store import Manifest, read_manifest

_SD15_STEP_SECONDS = 1.604 / 50  # fal-ai/stable-diffusion-benchmarks, SD1.5 512 px, A100, diffusers SDPA fp16
ESTIMATE = (f"images x steps x {_SD15_STEP_SECONDS * 1000:.1f} ms per SD1.5 step at 512 px with guidance on an A100, "
            "fal-ai stable-diffusion-benchmarks")
_SD15_PIXELS = 512 * 512
_SD15_UNET_PIPELINES = (
    "StableDiffusionPipeline",
    "StableDiffusionImg2ImgPipeline",
    "StableDiffusionImageVariationPipeline",
)


def estimated_a100_hours(spec: ReleaseSpec, images: int) -> float | None:
    """A100-hours to generate ``images`` images with this spec's settings (see the module docstring), or None
    for a generator without a reference figure."""
    gen = spec.generator
    if gen.source == "tiny" or gen.pipeline not in _SD15_UNET_PIPELINES:
        return None
    steps = int(gen.steps * gen.strength) if gen.strength is not None else gen.steps
    guided = 1.0 if gen.guidance > 1.0 else 0.5  # without guidance the UNet runs once per step, not twice
    seconds = images * steps * _SD15_STEP_SECONDS * guided * (gen.width * gen.height) / _SD15_PIXELS
    return seconds / 3600


@dataclass(frozen=True)
class ReleaseSummary:
    """What one release generates."""

    version: str
    model: str
    pipeline: str
    strategy: str
    classes: int
    templates: str | None
    images: dict[str, int]  # split -> images
    a100_hours: float | None
    spec_hash: str
    locked: bool

    @property
    def total_images(self) -> int:
        return sum(self.images.values())


def summarize(release: ReleaseDefinition) -> ReleaseSummary:
    """The summary of one release's spec."""
    spec = release.spec
    classes = len(spec.plan.class_indices())
    images = {split: n * classes for split, n in spec.plan.splits.items()}
    return ReleaseSummary(
        version=release.version,
        model=spec.generator.model,
        pipeline=spec.generator.pipeline,
        strategy=spec.conditioning.kind,
        classes=classes,
        templates=spec.plan.templates if spec.conditioning.uses_prompts else None,
        images=images,
        a100_hours=estimated_a100_hours(spec, sum(images.values())),
        spec_hash=release.spec_hash,
        locked=release.lock_path.exists(),
    )


def release_summaries(specs_dir: Path | None = None) -> list[ReleaseSummary]:
    """A summary of every release in the specs folder, by version."""
    return [summarize(release) for release in list_releases(specs_dir)]


@dataclass(frozen=True)
class BuiltSplit:
    """A built split: its image count and a digest of its shards' sha256s (equal digests, equal bytes)."""

    rows: int
    shards: int
    digest: str


@dataclass(frozen=True)
class ReleaseDiff:
    """What differs between releases ``a`` and ``b``."""

    a: str
    b: str
    spec: dict[str, tuple[object, object]]  # dotted spec key -> (value in a, value in b), differing keys only
    images: dict[str, tuple[int | None, int | None]]  # split -> planned images in a and b
    built: dict[str, tuple[BuiltSplit | None, BuiltSplit | None]] | None  # when both are built completely


def _built(manifest: Manifest | None) -> dict[str, BuiltSplit] | None:
    if manifest is None or not manifest.complete:
        return None
    return {
        name: BuiltSplit(
            rows=split.num_rows,
            shards=len(split.shards),
            digest=hashlib.sha256("".join(s.sha256 for s in split.shards).encode()).hexdigest(),
        )
        for name, split in manifest.splits.items()
    }


def diff_releases(a: str, b: str, specs_dir: Path | None = None, dataset_dir: Path | None = None) -> ReleaseDiff:
    """Spec differences of two releases (generator, sampling, conditioning, classes, counts) and, given
    ``dataset_dir``, their built image counts and shard checksums there: both must be built completely in it (a
    folder that lacks either is a mistake, not a comparison)."""
    if dataset_dir is not None:
        check_folder(dataset_dir, "dataset_dir")
    left, right = load_release(a, specs_dir), load_release(b, specs_dir)
    spec = differences(*(flatten(r.spec.model_dump(mode="json")) for r in (left, right)))
    counts = summarize(left).images, summarize(right).images
    images = {s: (counts[0].get(s), counts[1].get(s)) for s in sorted(set(counts[0]) | set(counts[1]))}
    built = None
    if dataset_dir is not None:
        manifests = [_built(read_manifest(Path(dataset_dir) / version)) for version in (a, b)]
        missing = list(dict.fromkeys(version for version, m in zip((a, b), manifests) if m is None))
        if missing:
            one = len(missing) == 1
            raise DatasetNotFoundError(
                f"{' and '.join(missing)} {'is' if one else 'are'} not built completely in {dataset_dir} "
                f"(no complete <release>/manifest.json)",
                f"build {'it' if one else 'them'} there first, or leave {{dataset_dir}} out to compare the specs only")
        splits = sorted(set(manifests[0]) | set(manifests[1]))
        built = {s: (manifests[0].get(s), manifests[1].get(s)) for s in splits}
    return ReleaseDiff(a=a, b=b, spec=spec, images=images, built=built)

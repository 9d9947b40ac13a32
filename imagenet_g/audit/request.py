"""What an audit is asked to do (``AuditRequest``), the extractors it may name (``EXTRACTORS``), and the check of
every argument before any work (``check_audit_request``): this module imports no torch, so a wrong argument is one
line at once."""

from __future__ import annotations

import os
from pathlib import Path

from pydantic import Field

from imagenet_g import labels
from imagenet_g.audit.report import AUDIT_FILE
from imagenet_g.benchmarks import get_benchmark
from imagenet_g.checks import MAX_BATCH, check_file, check_folder, check_workers
from imagenet_g.devices import check_device
from imagenet_g.errors import DatasetNotFoundError, OutputError, UnknownNameError, unknown
from imagenet_g.evaluate import OPEN_CLIP_PREFIX, check_dataset_paths, check_model_id
from imagenet_g.images import Location, candidate_folders, check_cache_dir, check_release_built, is_hub_id, locate
from imagenet_g.layout import CARD_FILE, DEFAULT_RELEASE, MANIFEST_FILE, audit_dir, card_problem
from imagenet_g.outputs import RequestPath, check_output_folder
from imagenet_g.strict import StrictRequest

RELEASE = "imagenet-g"  # the dataset an audit audits
CLIP_PREFIX = "clip:"
EXTRACTORS: dict[str, str] = {
    "inception-v3": "Inception-v3 pool3 (2048-d), the FID standard (torch-fidelity weights)",
    "clip:<arch>/<pretrained>": "an open_clip image tower, e.g. clip:ViT-B-32/openai",
    "sd-safety-checker": "the Stable Diffusion safety checker, run as a classifier",
    "random-cnn": "tiny random-weight CNN (offline tests/demo: proves the tooling only)",
    "random-clip": "tiny random-weight open_clip model (offline tests/demo: proves the tooling only)",
    "random-safety-checker": "tiny random-weight safety checker (offline tests/demo: proves the tooling only)",
}
_SAFETY_CHECKERS = ("sd-safety-checker", "random-safety-checker")
KID_SUBSETS = 100  # torchmetrics' default
KID_SUBSET_SIZE = 1000  # torchmetrics' default; lowered to the smaller set's size when that is smaller
_MAX_KID_SUBSETS = 10_000  # each subset is one MMD estimate; the mean is stable long before this many


class AuditRequest(StrictRequest):
    """Everything `imagenet-g audit` needs; the CLI builds one of these and calls ``run_audit``."""

    release: str = DEFAULT_RELEASE
    data_root: Path = Path(".")
    paths: dict[str, str] = Field(default_factory=dict, description="dataset name -> folder or Hub id")
    reference: str | None = Field(default="imagenet", description="real data for FID/KID and memorisation")
    shift_sets: tuple[str, ...] | None = Field(default=None, description="None: every natural-shift set found")
    fid_extractor: str = "inception-v3"
    inception_weights: Path | None = None
    clip_model: str = "clip:ViT-B-32/openai"
    templates: str = "openai_imagenet_80"
    safety_checker: str | None = "sd-safety-checker"
    safety_weights: str | None = Field(default=None, description="the checker's local folder or Hub id")
    consistency_threshold: float = Field(default=50.0, ge=0, le=100, description="per-class zero-shot top-1, %")
    duplicate_threshold: float = Field(default=0.95, ge=-1, le=1, description="cosine similarity")
    memorisation_threshold: float = Field(default=0.95, ge=-1, le=1, description="cosine similarity")
    kid_subsets: int = Field(default=KID_SUBSETS, ge=1, le=_MAX_KID_SUBSETS)
    kid_subset_size: int = Field(default=KID_SUBSET_SIZE, ge=2)
    seed: int = 0
    batch_size: int = Field(default=64, ge=1, le=MAX_BATCH)
    workers: int | None = Field(default=None, ge=0)
    device: str = "auto"
    cache_dir: Path | None = None
    out: RequestPath | None = Field(default=None,
                                    description="report folder; default <release folder>/audits/<version>")
    card: bool = Field(default=True, description="add an audit section to the release's dataset card")


def _check_extractor_id(extractor_id: str, role: str) -> None:
    if not (extractor_id.startswith(CLIP_PREFIX) or extractor_id in EXTRACTORS):
        raise unknown(f"{role} extractor", extractor_id, EXTRACTORS)
    if extractor_id.startswith(CLIP_PREFIX):  # its architecture against open_clip's, as eval checks a model id
        check_model_id(OPEN_CLIP_PREFIX + extractor_id.removeprefix(CLIP_PREFIX))


def check_audit_request(request: AuditRequest) -> AuditRequest:
    """Every argument of ``request`` that can be checked without torch or reading an image: extractor, safety
    checker and template names, dataset names and paths, the data root, weights given by path, the device's name,
    the worker count, the cache folder, the release (found, and a local folder holds the version) and where the
    audit writes (``audit_outputs``). Returns the request."""
    _check_extractor_id(request.fid_extractor, "fidelity")
    _check_extractor_id(request.clip_model, "CLIP")
    if not (request.clip_model.startswith(CLIP_PREFIX) or request.clip_model == "random-clip"):
        raise UnknownNameError(f"{request.clip_model!r} is not a CLIP model",
                               "set {clip_model} to clip:<arch>/<pretrained> or random-clip")
    if request.safety_checker is not None and request.safety_checker not in _SAFETY_CHECKERS:
        raise unknown("safety checker", request.safety_checker, _SAFETY_CHECKERS)
    labels.template_set(request.templates)
    for name in (*request.paths, *(request.shift_sets or ()), *([request.reference] if request.reference else [])):
        spec = get_benchmark(name)
        if spec.parent:
            raise UnknownNameError(f"{name} is a class subset of {spec.parent}", f"name {spec.parent} instead")
    check_dataset_paths(request.paths)
    check_folder(request.data_root, "data_root")
    if request.inception_weights is not None:
        check_file(request.inception_weights, "inception_weights")
    if request.safety_weights is not None and not (Path(request.safety_weights).is_dir()
                                                   or is_hub_id(request.safety_weights)):
        check_folder(request.safety_weights, "safety_weights")
    check_device(request.device)
    check_workers(request.workers)
    check_cache_dir(request.cache_dir)
    audit_outputs(request)
    return request


def release_location(request: AuditRequest) -> Location:
    """Where the audited release is: ``paths['imagenet-g']``, else ``<data_root>/imagenet-g``."""
    spec = get_benchmark(RELEASE)
    location = locate(spec, request.data_root, request.paths.get(RELEASE))
    if location is None:
        folder = candidate_folders(spec, request.data_root)[0]
        raise DatasetNotFoundError(f"no release folder at {folder}",
                                   f"build release {request.release} first, or set {{path}} imagenet-g=FOLDER")
    return location


def _release_folder_around(folder: Path) -> Path | None:
    """The release version folder (one with a manifest) that ``folder`` is in, if any."""
    here = Path(os.path.abspath(folder))
    return next((p for p in (here, *here.parents) if (p / MANIFEST_FILE).is_file()), None)


def audit_outputs(request: AuditRequest) -> tuple[Path, Path | None]:
    """Where an audit writes: its folder (``out``; default ``<release folder>/audits/<version>``, beside the
    release, or ``audits/<version>`` for a Hub release) and the dataset card it adds its section to (None: no card).

    Checked before any work (``imagenet_g.outputs``): a local release folder holds the version; the folder is new,
    empty or an audit's; it is not inside a release version folder (whose verification it would break); the card,
    when there is one, is a card of ours.
    """
    location = release_location(request)
    local = Path(location.where) if location.kind == "folder" else None
    if local is not None:
        check_release_built(location, request.release)
    folder = request.out or audit_dir(local if local is not None else Path("."), request.release)
    inside = _release_folder_around(folder)
    if inside is not None:
        raise OutputError(f"{folder} is inside the release folder {inside}, which must hold its shards and manifest "
                          "only (verify and push would refuse it)",
                          f"set {{out}} to a folder outside it, e.g. {audit_dir(inside.parent, inside.name)}")
    check_output_folder(folder, AUDIT_FILE, f"an audit folder (it has no {AUDIT_FILE})", "out")
    card = local / CARD_FILE if local is not None and request.card else None
    if card is not None and not card.is_file():
        card = None  # the build writes the card once the release is complete; an audit does not start one
    if card is not None and card_problem(card) is not None:
        raise OutputError(f"{card} is not a dataset card imagenet-g wrote; the audit adds its section only to its own "
                          "cards", "set {card=False} to write the report alone")
    return folder, card

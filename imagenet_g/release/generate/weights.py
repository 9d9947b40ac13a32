"""Which weights a spec's generator loads, and the lock that pins them (model commit, file sha256s, libraries)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from imagenet_g.environment import package_versions
from imagenet_g.errors import ImagenetGError, SpecError
from imagenet_g.files import sha256_file
from imagenet_g.release.generate.conditioning import pipeline_class
from imagenet_g.release.generate.tiny_offline import check_tiny_model, tiny_hashes
from imagenet_g.release.spec import GeneratorSpec, Lock

WEIGHT_SUFFIXES = (".safetensors", ".bin", ".ckpt", ".pt", ".pth", ".msgpack", ".onnx")
SAFETY_COMPONENTS = ("safety_checker",)  # not loaded when the spec turns the safety checker off
_LOCKED_LIBRARIES = ("torch", "diffusers", "transformers")


@dataclass(frozen=True)
class ResolvedModel:
    """Where a generator's weights come from: a local folder (hub snapshot or saved pipeline) or code."""

    source: str
    model: str
    revision: str | None
    commit: str | None
    path: Path | None
    variant: str | None = None
    skipped: tuple[str, ...] = ()  # components not loaded (the safety checker when it is off)
    pipeline: str = "StableDiffusionPipeline"  # the diffusers class that loads it
    safety_checker: bool = False


def _weight_variant(name: str) -> str | None:
    """'diffusion_pytorch_model.fp16.safetensors' -> 'fp16'; 'model.safetensors' -> None."""
    parts = name.split(".")
    return parts[-2] if len(parts) >= 3 else None


def _loaded_files(folder: Path, variant: str | None, skipped: tuple[str, ...] = ()) -> list[Path]:
    """The files ``from_pretrained`` reads from a pipeline folder, so that the lock does not depend on what
    else a cache holds: model_index.json, and in each loaded component's folder its configs plus the weights
    of the requested variant (non-variant weights where a component has none), safetensors when present."""
    index = json.loads((folder / "model_index.json").read_text(encoding="utf-8"))
    components = sorted(
        name for name, value in index.items()
        if not name.startswith("_") and isinstance(value, list) and value[0] is not None and name not in skipped
    )
    files = [folder / "model_index.json"]
    for component in components:
        entries = sorted(p for p in (folder / component).rglob("*") if p.is_file())
        weights = [p for p in entries if p.suffix in WEIGHT_SUFFIXES]
        chosen = [p for p in weights if _weight_variant(p.name) == variant] or [
            p for p in weights if _weight_variant(p.name) is None
        ]
        if any(p.suffix == ".safetensors" for p in chosen):
            chosen = [p for p in chosen if p.suffix == ".safetensors"]
        files += [p for p in entries if p.suffix not in WEIGHT_SUFFIXES] + chosen
    return files


def _hub_error(spec: GeneratorSpec, revision: str | None, locked: bool, exc: Exception) -> ImagenetGError:
    detail = f"{type(exc).__name__}: {str(exc).splitlines()[0]}" if str(exc) else type(exc).__name__
    if locked:
        return SpecError(
            f"cannot fetch {spec.model} at its locked commit {revision} ({detail})",
            fix="check the network and `hf auth login`; if the commit was deleted from the Hub, the release can no "
            "longer be rebuilt as locked: delete its spec.lock to lock the spec's revision anew, as a new version",
        )
    return ImagenetGError(
        f"cannot fetch {spec.model}@{revision or 'main'} from the Hub ({detail})",
        fix="check the id and revision, the network, HF_HUB_OFFLINE and `hf auth login`",
    )


def resolve_model(spec: GeneratorSpec, spec_dir: Path, locked_commit: str | None = None) -> ResolvedModel:
    """Find the weights the spec names: a Hub snapshot (downloaded or cached), a local folder, or a tiny model.

    ``locked_commit`` (from a committed lock) is loaded instead of the spec's revision, so that new commits on the
    spec's branch never change what a locked release loads.
    """
    pipeline_class(spec.pipeline)  # an unknown class fails before anything is downloaded
    common = {"pipeline": spec.pipeline, "safety_checker": spec.safety_checker}
    if spec.source == "tiny":
        try:
            check_tiny_model(spec.model)
        except ImagenetGError as exc:
            raise SpecError(f"generator.model: {exc.problem}", fix=exc.fix) from None
        return ResolvedModel(spec.source, spec.model, None, None, None, **common)
    skipped = () if spec.safety_checker else SAFETY_COMPONENTS
    if spec.source == "local":
        path = (spec_dir / spec.model).resolve()
        if not (path / "model_index.json").is_file():
            raise SpecError(f"generator.model: no diffusers pipeline folder at {path} (model_index.json missing)")
        return ResolvedModel(spec.source, spec.model, None, None, path, skipped=skipped, **common)
    from diffusers import DiffusionPipeline

    revision = locked_commit or spec.revision
    try:
        path = Path(
            DiffusionPipeline.download(spec.model, revision=revision, variant=spec.variant, **dict.fromkeys(skipped))
        )
    except (OSError, ValueError) as exc:
        raise _hub_error(spec, revision, locked_commit is not None, exc) from None
    # Hub cache layout: .../snapshots/<commit>/ -- the folder name is the resolved commit.
    commit = path.name if path.parent.name == "snapshots" else None
    return ResolvedModel(spec.source, spec.model, spec.revision, commit, path, spec.variant, skipped, **common)


def _library_versions() -> dict[str, str]:
    """Versions of the libraries whose numerics the lock pins."""
    return package_versions(_LOCKED_LIBRARIES)


def model_lock(model: ResolvedModel) -> Lock:
    """The lock describing what loading ``model`` uses now."""
    if model.path is None:
        files = tiny_hashes(model.model, pipeline_class(model.pipeline), model.safety_checker)
    else:
        files = {
            p.relative_to(model.path).as_posix(): sha256_file(p)
            for p in _loaded_files(model.path, model.variant, model.skipped)
        }
    return Lock(
        source=model.source,
        model=model.model,
        revision=model.revision,
        commit=model.commit,
        files=files,
        libraries=_library_versions(),
    )

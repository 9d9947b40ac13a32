"""A built release as a Hugging Face dataset folder: the dataset card, verification, push to the Hub.

Layout (one folder, every built version a config)::

    imagenet-g/README.md                         card: YAML configs + dataset_info, then text
    imagenet-g/<version>/<split>-00000-of-0000N.parquet
    imagenet-g/<version>/manifest.json
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from imagenet_g.build.builder import DEFAULT_OUT
from imagenet_g.build.manifest import MANIFEST_FILE, Manifest, read_manifest, shard_problem
from imagenet_g.build.schema import release_features
from imagenet_g.errors import ImagenetGError, OutputError, ReleaseIntegrityError
from imagenet_g.files import atomic_write_text

CARD_FILE = "README.md"


def complete_manifests(out_dir: Path) -> list[Manifest]:
    """Manifests of every completely built version under ``out_dir``, by version name."""
    if not out_dir.is_dir():
        return []
    found = (read_manifest(d) for d in sorted(out_dir.iterdir()) if (d / MANIFEST_FILE).is_file())
    return [m for m in found if m is not None and m.complete]


def _card_yaml(manifests: list[Manifest]) -> str:
    from datasets import DatasetInfo, SplitDict, SplitInfo
    from datasets.info import DatasetInfosDict
    from datasets.utils.metadata import MetadataConfigs
    from huggingface_hub import DatasetCardData

    data = DatasetCardData(
        pretty_name="ImageNet-G", task_categories=["image-classification"], license="other"
    )
    infos, configs = {}, {}
    for m in manifests:
        splits = SplitDict()
        for name, split in m.splits.items():
            size = sum(s.num_bytes for s in split.shards)
            splits.add(SplitInfo(name=name, num_examples=split.num_rows, num_bytes=size))
        infos[m.version] = DatasetInfo(features=release_features(), config_name=m.version, splits=splits)
        configs[m.version] = {
            "data_files": [{"split": name, "path": f"{m.version}/{name}-*.parquet"} for name in m.splits]
        }
    DatasetInfosDict(infos).to_dataset_card_data(data)
    MetadataConfigs(configs).to_dataset_card_data(data)
    return data.to_yaml()


def _card_body(manifests: list[Manifest]) -> str:
    lines = [
        "# ImageNet-G",
        "",
        "Generated ImageNet test sets for measuring classifier robustness (\"Leaving Reality to Imagination: "
        "Robust Classification via Generated Datasets\"). Each version is a config; every row carries the "
        "image's label and the full provenance of how it was generated (prompt, template, seed, sampler, "
        "steps, guidance, size, spec hash).",
        "",
        "| version | generator | revision | rows | spec sha256 |",
        "|---|---|---|---|---|",
    ]
    for m in manifests:
        gen = m.spec.generator
        rows = ", ".join(f"{name}: {split.num_rows}" for name, split in m.splits.items())
        revision = m.lock.commit or gen.revision or "-"
        lines.append(f"| {m.version} | {gen.model} ({gen.pipeline}, {gen.scheduler.name}, {gen.steps} steps) "
                     f"| {revision} | {rows} | `{m.spec_hash[:16]}` |")
    example = manifests[0].version if manifests else "v1"
    lines += [
        "",
        "```python",
        "import datasets",
        f'ds = datasets.load_dataset("imagenet-g", "{example}", split="test")  # this folder, or ORG/imagenet-g',
        'ds.features["label"].names[ds[0]["label"]]',
        "```",
        "",
        "Each version's `manifest.json` holds the spec, the lock (model commit and weight checksums), the "
        "environment and a sha256 per shard; `imagenet-g verify --version V` checks them. Labels are "
        "ImageNet-1k indices; label names are the CLIP class names made unique with the wnid where they repeat.",
        "",
        "License: the images were generated with the model named per version; its license applies to them.",
        "",
    ]
    return "\n".join(lines)


def card_text(out_dir: Path) -> str:
    """The dataset card for every completely built version under ``out_dir``."""
    manifests = complete_manifests(out_dir)
    return f"---\n{_card_yaml(manifests)}\n---\n\n{_card_body(manifests)}"


def write_card(out_dir: Path) -> Path:
    """Write ``out_dir/README.md`` atomically."""
    path = out_dir / CARD_FILE
    try:
        atomic_write_text(path, card_text(out_dir))
    except OSError as exc:
        raise OutputError(
            f"cannot write the dataset card {path}: {exc.strerror or exc}; the shards are kept, free space and "
            "rerun the build to write it"
        ) from None
    return path


@dataclass(frozen=True)
class VerifyReport:
    """A release that passed verification."""

    version: str
    version_dir: Path
    spec_hash: str
    shards: int
    rows: int


def _card_configs(out_dir: Path) -> set[str]:
    from huggingface_hub import DatasetCard

    path = out_dir / CARD_FILE
    if not path.is_file():
        return set()
    configs: Any = DatasetCard.load(path).data.to_dict().get("configs") or []
    return {c.get("config_name") for c in configs if isinstance(c, dict)}


def verify_release(out_dir: Path, version: str, expected_spec_hash: str | None = None) -> VerifyReport:
    """Check every shard of a built version against its manifest; names every missing or damaged file."""
    out_dir = Path(out_dir)
    version_dir = out_dir / version
    manifest = read_manifest(version_dir)
    if manifest is None:
        raise ReleaseIntegrityError(
            f"no {MANIFEST_FILE} in {version_dir}; build it with `imagenet-g build --version {version}`"
        )
    if manifest.spec.content_hash() != manifest.spec_hash:
        raise ReleaseIntegrityError(f"{version_dir / MANIFEST_FILE} was edited: its spec does not match its hash")
    if expected_spec_hash is not None and manifest.spec_hash != expected_spec_hash:
        raise ReleaseIntegrityError(
            f"{version_dir} was built from another spec than releases/{version}/spec.yaml; rebuild it"
        )
    problems = []
    for name, split in manifest.splits.items():
        recorded = {s.index for s in split.shards}
        problems += [f"{name} shard {i} of {split.num_shards} never built" for i in range(split.num_shards)
                     if i not in recorded]
    records = [r for split in manifest.splits.values() for r in split.shards]
    problems += [p for p in (shard_problem(version_dir, r) for r in records) if p]
    known = {r.file for r in records}
    stray = [p.name for p in sorted(version_dir.glob("*.parquet")) if p.name not in known]
    problems += [f"{name} is not in the manifest" for name in stray]
    if not problems and version not in _card_configs(out_dir):
        problems.append(f"{out_dir / CARD_FILE} does not list config {version}")
    if problems:
        raise ReleaseIntegrityError(
            f"{version} failed verification: {'; '.join(problems)}; rerun `imagenet-g build --version {version}` "
            "to rebuild what is missing or damaged"
        )
    return VerifyReport(version, version_dir, manifest.spec_hash, len(records), sum(r.rows for r in records))


@dataclass(frozen=True)
class PushRequest:
    """Which built version to push where."""

    version: str
    repo_id: str
    out_dir: Path = DEFAULT_OUT
    private: bool = False
    expected_spec_hash: str | None = None


@dataclass(frozen=True)
class PushReport:
    """Where a version was pushed."""

    version: str
    repo_id: str
    commit: str
    tag: str
    url: str


def push_release(request: PushRequest, api: Any = None) -> PushReport:
    """Verify, then upload the card and the version folder to a Hub dataset repo and tag the commit.

    ``api`` is a ``huggingface_hub.HfApi`` (injectable for tests); the default uses the saved token.
    """
    try:
        checked = verify_release(request.out_dir, request.version, request.expected_spec_hash)
    except ReleaseIntegrityError as exc:
        raise ReleaseIntegrityError(f"refusing to push: {exc}") from None
    if api is None:
        from huggingface_hub import HfApi, constants

        if constants.HF_HUB_OFFLINE:
            raise ImagenetGError("cannot push while HF_HUB_OFFLINE is set; unset it, then push again")
        api = HfApi()
    try:
        api.create_repo(request.repo_id, repo_type="dataset", private=request.private, exist_ok=True)
        commit = api.upload_folder(
            repo_id=request.repo_id,
            repo_type="dataset",
            folder_path=str(request.out_dir),
            allow_patterns=[CARD_FILE, f"{request.version}/*"],
            commit_message=f"Release {request.version} (spec {checked.spec_hash[:12]})",
        )
        api.create_tag(request.repo_id, repo_type="dataset", tag=request.version, revision=commit.oid)
    except Exception as exc:  # noqa: BLE001 -- Hub HTTP errors are OSErrors, but transport errors of its HTTP
        # client (no network, DNS) share no base class with them; every failure here is reported on one line
        first = f"{type(exc).__name__}: {str(exc).splitlines()[0]}" if str(exc) else type(exc).__name__
        raise ImagenetGError(
            f"push of {request.version} to {request.repo_id} failed: {first}; check `hf auth login`, the repo id, "
            f"and that tag {request.version} does not exist yet (a released version is immutable)"
        ) from None
    return PushReport(
        version=request.version,
        repo_id=request.repo_id,
        commit=commit.oid,
        tag=request.version,
        url=f"https://huggingface.co/datasets/{request.repo_id}/tree/{request.version}",
    )

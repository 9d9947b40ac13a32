"""The dataset card (``README.md``) of a release folder: YAML configs + dataset_info for every complete
version, then text. The folder's layout is ``imagenet_g.layout``."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from imagenet_g.errors import OutputError
from imagenet_g.files import atomic_write_text
from imagenet_g.layout import CARD_FILE, MANIFEST_FILE
from imagenet_g.release.manifest import Manifest, read_manifest
from imagenet_g.release.schema import release_features


def complete_manifests(dataset_dir: Path) -> list[Manifest]:
    """Manifests of every completely built version under ``dataset_dir``, by version name."""
    if not dataset_dir.is_dir():
        return []
    found = (read_manifest(d) for d in sorted(dataset_dir.iterdir()) if (d / MANIFEST_FILE).is_file())
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
        "environment and a sha256 per shard; `imagenet-g verify --release V` checks them. Labels are "
        "ImageNet-1k indices; label names are the CLIP class names made unique with the wnid where they repeat.",
        "",
        "License: the images were generated with the model named per version; its license applies to them.",
        "",
    ]
    return "\n".join(lines)


def card_text(dataset_dir: Path) -> str:
    """The dataset card for every completely built version under ``dataset_dir``."""
    manifests = complete_manifests(dataset_dir)
    return f"---\n{_card_yaml(manifests)}\n---\n\n{_card_body(manifests)}"


def write_card(dataset_dir: Path) -> Path:
    """Write ``dataset_dir/README.md`` atomically."""
    path = dataset_dir / CARD_FILE
    try:
        atomic_write_text(path, card_text(dataset_dir))
    except OSError as exc:
        raise OutputError(
            f"cannot write the dataset card {path}: {exc.strerror or exc}; the shards are kept, free space and "
            "rerun the build to write it"
        ) from None
    return path


def card_configs(dataset_dir: Path) -> set[str]:
    """The config names the dataset card at ``dataset_dir`` lists (empty when there is no card)."""
    from huggingface_hub import DatasetCard

    path = dataset_dir / CARD_FILE
    if not path.is_file():
        return set()
    configs: Any = DatasetCard.load(path).data.to_dict().get("configs") or []
    return {c.get("config_name") for c in configs if isinstance(c, dict)}

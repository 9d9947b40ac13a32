"""The dataset card (``README.md``) of a release folder: YAML metadata (one config per version, dataset_info,
licenses, size, provenance, tags), then text with a section per version and the citations.

A card can be merged into an existing one (the Hub repo's, on push): versions built here replace their config
and section, every other version's config and section is kept as it was. The folder's layout is
``imagenet_g.layout``.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from imagenet_g.errors import OutputError, ReleaseIntegrityError
from imagenet_g.files import atomic_write_text, turn_to_write
from imagenet_g.outputs import check_output_file
from imagenet_g.layout import CARD_FILE, CARD_MARK, MANIFEST_FILE, VERSION_END, VERSION_START, audit_block, card_problem
from imagenet_g.release.publish.catalog import ESTIMATE, estimated_a100_hours
from imagenet_g.release.publish.licenses import generator_license
from imagenet_g.release.store import Manifest, read_manifest, release_features

_SIZE_CATEGORIES = ((1_000, "n<1K"), (10_000, "1K<n<10K"), (100_000, "10K<n<100K"), (1_000_000, "100K<n<1M"),
                   (10_000_000, "1M<n<10M"), (100_000_000, "10M<n<100M"))
_BASE_TAGS = ["synthetic", "imagenet", "robustness", "distribution-shift", "diffusion"]
_SECTION = re.compile(r"<!-- version: (?P<version>[^ ]+) -->\n.*?<!-- /version -->\n", re.S)
_CITATION = """```bibtex
@article{bansal2023leaving,
  title   = {Leaving Reality to Imagination: Robust Classification via Generated Datasets},
  author  = {Bansal, Hritik and Grover, Aditya},
  journal = {arXiv preprint arXiv:2302.02503},
  year    = {2023}
}
@misc{imagenet_g,
  title  = {{ImageNet-G}: versioned, regenerable generated test sets for ImageNet classifiers},
  author = {{The imagenet-g authors}},
  note   = {Built with the imagenet-g package from pinned release specs},
  year   = {2026}
}
```"""


def _complete_manifests(dataset_dir: Path) -> list[Manifest]:
    """Manifests of every completely built version under ``dataset_dir``, by version name.

    The card describes a version by its manifest's spec only when that spec hashes to the spec hash the shards
    carry, i.e. it is the release's spec; an edited one is refused, never copied into the card.
    """
    if not dataset_dir.is_dir():
        return []
    found = (read_manifest(d) for d in sorted(dataset_dir.iterdir()) if (d / MANIFEST_FILE).is_file())
    complete = [m for m in found if m is not None and m.complete]
    for manifest in complete:
        if manifest.spec_edited:
            raise ReleaseIntegrityError(
                f"{dataset_dir / manifest.version / MANIFEST_FILE} was edited: its spec does not match its hash",
                f"build release {manifest.version} again: the build restores the spec, then writes the card",
            )
    return complete


def _nsfw_counts(dataset_dir: Path, manifest: Manifest) -> dict[str, int] | None:
    """Images the safety checker flagged, per split (None when the version does not run it)."""
    import pyarrow.parquet as pq

    if not manifest.spec.generator.safety_checker:
        return None
    version_dir = Path(dataset_dir) / manifest.version
    return {
        name: sum(sum(bool(v) for v in pq.read_table(version_dir / s.file, columns=["nsfw"]).column(0).to_pylist())
                  for s in split.shards)
        for name, split in manifest.splits.items()
    }


def _size_category(rows: int) -> str:
    return next((name for limit, name in _SIZE_CATEGORIES if rows < limit), "n>1T")


def _gpu_time(manifest: Manifest) -> str:
    hours = estimated_a100_hours(manifest.spec, sum(split.num_rows for split in manifest.splits.values()))
    return "" if hours is None else f"; about {hours:,.0f} A100-hours to generate (estimated from the settings: {ESTIMATE})"


def _section(manifest: Manifest, flagged: dict[str, int] | None) -> str:
    spec, gen = manifest.spec, manifest.spec.generator
    licence = generator_license(gen.source, gen.model)
    commit = manifest.lock.commit or gen.revision or "built in code"
    kind = spec.conditioning.kind
    inputs = {
        "labels": f"the class name in the `{spec.plan.templates}` prompt templates",
        "images": "a real image alone (no text)",
        "labels+images": f"a real image and the class prompt (`{spec.plan.templates}` templates), strength "
        f"{gen.strength}",
        "class": "the ImageNet class index alone",
    }[kind]
    lines = [
        VERSION_START.format(version=manifest.version),
        f"### {manifest.version}",
        "",
        spec.description or manifest.version,
        "",
        f"- Generator: `{gen.model}` at `{commit}` via diffusers `{gen.pipeline}`, {gen.scheduler.name}, "
        f"{gen.steps} steps, guidance {gen.guidance}, {gen.width}x{gen.height}.",
        f"- Conditioning ({kind}): {inputs}; one seed per image (`seed` column), classes: "
        f"{len(spec.plan.class_indices())}.",
        "- Images: " + ", ".join(f"{name} {split.num_rows:,}" for name, split in manifest.splits.items())
        + _gpu_time(manifest) + ".",
        f"- License: [{licence.name}]({licence.link}) (`{licence.id}`), the generator's.",
    ]
    if manifest.lock.init_images is not None:
        lines.append(f"- Init images: {manifest.lock.init_images.dataset} (`init_image`, `init_image_sha256` columns).")
    if flagged is None:
        lines.append("- Safety checker: not run (`nsfw` is null).")
    else:
        counts = ", ".join(f"{name} {n:,} of {manifest.splits[name].num_rows:,}" for name, n in flagged.items())
        lines.append(f"- Safety checker run as a classifier: flagged {counts} (`nsfw` column; images kept).")
    lines += [f"- Spec sha256 `{manifest.spec_hash}`.", "<!-- /version -->", ""]
    return "\n".join(lines)


def _metadata(manifests: list[Manifest], existing: Any | None) -> Any:
    """Card YAML: the existing card's configs and dataset_info, with those of ``manifests`` replacing theirs."""
    from datasets import DatasetInfo, SplitDict, SplitInfo
    from datasets.info import DatasetInfosDict
    from datasets.utils.metadata import MetadataConfigs
    from huggingface_hub import DatasetCardData

    configs = dict(MetadataConfigs.from_dataset_card_data(existing)) if existing is not None else {}
    infos = dict(DatasetInfosDict.from_dataset_card_data(existing)) if existing is not None else {}
    licenses = list((existing.to_dict().get("license") if existing is not None else None) or [])
    licenses = [licenses] if isinstance(licenses, str) else licenses
    sources = {"original"} | set((existing.to_dict().get("source_datasets") if existing is not None else None) or [])
    tags = list(_BASE_TAGS) + [t for t in ((existing.to_dict().get("tags") if existing is not None else None) or [])
                              if t not in _BASE_TAGS]
    for m in manifests:
        splits = SplitDict()
        for name, split in m.splits.items():
            splits.add(SplitInfo(name=name, num_examples=split.num_rows, num_bytes=sum(s.num_bytes for s in split.shards)))
        infos[m.version] = DatasetInfo(features=release_features(), config_name=m.version, splits=splits)
        configs[m.version] = {
            "data_files": [{"split": name, "path": f"{m.version}/{name}-*.parquet"} for name in m.splits]
        }
        licence = generator_license(m.spec.generator.source, m.spec.generator.model).id
        licenses += [licence] if licence not in licenses else []
        if m.spec.conditioning.init_images is not None:
            sources.add(f"extended|{m.spec.conditioning.init_images.dataset}")
        tag = m.spec.generator.pipeline.removesuffix("Pipeline").lower()
        tags += [tag] if tag not in tags else []
    rows = sum(split.num_examples for info in infos.values() for split in (info.splits or {}).values())
    data = DatasetCardData(
        pretty_name="ImageNet-G",
        task_categories=["image-classification"],
        license=licenses or ["other"],
        size_categories=[_size_category(rows)],
        annotations_creators=["machine-generated"],
        source_datasets=sorted(sources),
        tags=tags,
    )
    DatasetInfosDict(dict(sorted(infos.items()))).to_dataset_card_data(data)
    MetadataConfigs(dict(sorted(configs.items()))).to_dataset_card_data(data)
    return data


def render_card(dataset_dir: Path, manifests: list[Manifest], existing: str | None = None) -> str:
    """The card for ``manifests`` (built under ``dataset_dir``), merged into the ``existing`` card's text if any.

    A version's audit block (``imagenet-g audit``) is carried over from the local card, else from ``existing``.
    """
    from huggingface_hub import DatasetCard

    old = DatasetCard(existing) if existing else None
    sections = {m.group("version"): m.group(0) for m in _SECTION.finditer(old.text)} if old is not None else {}
    local = dataset_dir / CARD_FILE
    local_text = local.read_text(encoding="utf-8") if local.is_file() else ""
    for m in manifests:  # a version's audit block (imagenet-g audit) survives the rewrite of its section
        block = audit_block(local_text, m.version) or audit_block(sections.get(m.version, ""), m.version)
        fresh = _section(m, _nsfw_counts(dataset_dir, m))
        sections[m.version] = fresh.replace(VERSION_END, f"{block}\n{VERSION_END}", 1) if block else fresh
    example = manifests[0].version if manifests else next(iter(sorted(sections)), "v1")
    body = [
        CARD_MARK,
        "# ImageNet-G",
        "",
        "Generated ImageNet test (and training) sets for measuring classifier robustness, after \"Leaving Reality "
        "to Imagination: Robust Classification via Generated Datasets\" (Bansal & Grover, 2023). Each version is a "
        "config; every row carries the image's label and the full provenance of how it was generated (prompt, "
        "template, seed, sampler, steps, guidance, size, init image and its sha256, safety flag, spec hash).",
        "",
        "```python",
        "import datasets",
        f'ds = datasets.load_dataset("ORG/imagenet-g", "{example}", split="test")  # or a local release folder',
        'ds.features["label"].names[ds[0]["label"]]',
        "```",
        "",
        "Labels are ImageNet-1k indices; label names are the CLIP class names made unique with the wnid where they "
        "repeat. Each version's `manifest.json` holds its spec, its lock (model commit, weight checksums, init "
        "images) and a sha256 per shard; `imagenet-g verify` checks them. The images come under the license of "
        "the generator that made them (per version below).",
        "",
        "## Versions",
        "",
        *(sections[v] for v in sorted(sections)),
        "## Citation",
        "",
        _CITATION,
        "",
    ]
    return f"---\n{_metadata(manifests, old.data if old is not None else None).to_yaml()}\n---\n\n" + "\n".join(body)


def _card_text(dataset_dir: Path) -> str:
    """The dataset card for every completely built version under ``dataset_dir``."""
    return render_card(dataset_dir, _complete_manifests(dataset_dir))


def write_card(dataset_dir: Path) -> Path:
    """Write ``dataset_dir/README.md`` atomically, in turn with its other writers (builds, audits) and clearing
    the temp files killed writers left. A README.md that is not a card of ours is refused, never replaced."""
    path = dataset_dir / CARD_FILE
    try:
        with turn_to_write(path):  # the card is read (for audit blocks) and written in one turn
            check_output_file(path, card_problem, "dataset_dir")
            atomic_write_text(path, _card_text(dataset_dir))
    except OutputError:
        raise
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

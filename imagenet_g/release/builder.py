"""``build_release``: spec -> shard plan -> executor -> shards + manifest -> dataset card. Resumable."""

from __future__ import annotations

import dataclasses
import time
from dataclasses import dataclass
from functools import partial
from pathlib import Path

from imagenet_g.release.batching import AUTO, BatchSize, probe_batch_size, resolve_batch_size
from imagenet_g.release.claims import claim_shards, remove_stale_temps, shard_claim_path
from imagenet_g.release.claims import release as release_claim
from imagenet_g.release.card import write_card
from imagenet_g.release.executor import Executor, load_task_generator
from imagenet_g.release.executors import get_executor
from imagenet_g.release.manifest import (
    BuildSettings,
    Manifest,
    ShardRecord,
    SplitRecord,
    read_manifest,
    shard_problem,
    write_manifest,
)
from imagenet_g.release.shard_plan import ShardPlan, plan_shards
from imagenet_g.release.schema import SPEC_HASH_KEY
from imagenet_g.release.integrity import unlisted_entries
from imagenet_g.release.jobs import JOBS_DIR, Share, finalize_if_complete, read_job_record, write_job_record
from imagenet_g.release.shard import ShardTask
from imagenet_g.devices import pick_device
from imagenet_g.environment import environment
from imagenet_g.errors import ImagenetGError, OutputError, SpecError
from imagenet_g.layout import DEFAULT_DATASET_DIR, MANIFEST_FILE
from imagenet_g.release.fastpath import check_fast_path
from imagenet_g.release.pipeline import check_scheduler, effective_dtype
from imagenet_g.progress import progress_bar
from imagenet_g.release.lock import Lock
from imagenet_g.release.lock_check import check_lock
from imagenet_g.release.spec import SPEC_FILE, ReleaseDefinition, load_release

ENVIRONMENT_PACKAGES = ("torch", "diffusers", "transformers", "datasets", "pyarrow", "pillow", "numpy")


@dataclass(frozen=True)
class BuildRequest:
    """What to build and where. ``device=None`` picks cuda when available, else cpu.

    ``init_images``: where the real images of an image-conditioned release are (a folder in the dataset's own
    layout, or a Hub dataset id). ``batch_size="auto"`` probes the GPU (CPU: 4; a resumed build keeps its recorded size). ``fast_path``: names
    from ``imagenet_g.release.fastpath.OPTIONS``. ``share``: build only this job's part of a job array (no manifest.json;
    the last job to finish, or ``finalize_release``, writes it).
    """

    version: str
    dataset_dir: Path = DEFAULT_DATASET_DIR
    splits: tuple[str, ...] | None = None
    batch_size: BatchSize = 4
    threads: int = 1
    device: str | None = None
    allow_lock_mismatch: bool = False
    specs_dir: Path | None = None
    executor: str = "local"
    progress: bool = True
    fast_path: tuple[str, ...] = ()
    share: Share | None = None
    init_images: str | Path | None = None


@dataclass(frozen=True)
class BuildReport:
    """What a build did."""

    version: str
    dataset_dir: Path
    version_dir: Path
    spec_hash: str
    device: str
    dtype: str
    batch_size: int
    shards: tuple[ShardRecord, ...]
    written: int
    skipped: int
    complete: bool
    lock_written: bool
    lock_path: Path
    lock_mismatch: tuple[str, ...]
    seconds: float
    fast_path: tuple[str, ...] = ()
    finalized: bool = False
    removed: tuple[str, ...] = ()
    repaired: tuple[str, ...] = ()

    @property
    def rows(self) -> int:
        return sum(s.rows for s in self.shards)


def _check_foreign_shards(version_dir: Path, release: ReleaseDefinition) -> None:
    """With no manifest, any parquet file there must come from this spec, or we refuse to touch the folder."""
    import pyarrow.parquet as pq

    for path in sorted(version_dir.glob("*.parquet")):
        try:
            found = (pq.read_schema(path).metadata or {}).get(SPEC_HASH_KEY, b"").decode()
        except (OSError, ValueError):
            found = ""
        if found != release.spec_hash:
            raise OutputError(
                f"{version_dir} holds {path.name}, which is not from the {release.version} spec",
                f"choose another {{dataset_dir}} or delete {version_dir}",
            )


def _check_manifest(version_dir: Path, release: ReleaseDefinition, manifest: Manifest) -> None:
    if manifest.version != release.version or manifest.spec_hash != release.spec_hash:
        raise OutputError(
            f"{version_dir} holds {manifest.version} built from a different spec (hash {manifest.spec_hash[:12]}, "
            f"{release.folder / SPEC_FILE} is {release.spec_hash[:12]})",
            f"choose another {{dataset_dir}} or delete {version_dir}",
        )


def _start_manifest(
    existing: Manifest | None, release: ReleaseDefinition, lock: Lock, mismatch: tuple[str, ...], settings: BuildSettings,
    shards: list[ShardPlan], device: str,
) -> Manifest:
    manifest = existing or Manifest(
        version=release.version,
        spec_hash=release.spec_hash,
        spec=release.spec,
        lock=lock,
        lock_mismatch=mismatch,
        build=settings,
        environment={},
        splits={},
    )
    splits = dict(manifest.splits)
    for shard in shards:
        if shard.split not in splits:
            rows = sum(len(s.rows) for s in shards if s.split == shard.split)
            splits[shard.split] = SplitRecord(num_rows=rows, num_shards=shard.num_shards)
    update = {"environment": environment(device, ENVIRONMENT_PACKAGES), "lock": lock.extended_by(manifest.lock)}
    return manifest.model_copy(update=update).with_splits(splits)


def _drop_bad_records(manifest: Manifest, version_dir: Path, planned: dict[tuple[str, int], ShardPlan]) -> Manifest:
    """Keep only the records whose shard on disk still matches its record and its plan (others are rebuilt)."""
    splits = {}
    for name, split in manifest.splits.items():
        good = tuple(
            s for s in split.shards
            if shard_problem(version_dir, s, planned.get((s.split, s.index)), manifest.spec_hash) is None
        )
        splits[name] = split.model_copy(update={"shards": good})
    return manifest.with_splits(splits)


def _restore_spec(manifest: Manifest, release: ReleaseDefinition) -> tuple[Manifest, tuple[str, ...]]:
    """A manifest whose spec was edited (its hash, like the shards', still names the release's spec) gets the
    release's spec back; returns it and what was repaired."""
    if manifest.spec.content_hash() == manifest.spec_hash:
        return manifest, ()
    return manifest.model_copy(update={"spec": release.spec}), (
        f"{MANIFEST_FILE}: its spec had been edited; restored from the {release.version} spec",
    )


def _remove_strays(version_dir: Path, shards: list[ShardPlan]) -> tuple[str, ...]:
    """Delete parquet files that are no shard of this release (``datasets`` would load them as data); refuse
    when anything else unknown is there. Returns the names removed."""
    strays = unlisted_entries(version_dir, {s.filename for s in shards} | {MANIFEST_FILE, JOBS_DIR})
    others = [name for name in strays if not (name.endswith(".parquet") and (version_dir / name).is_file())]
    if others:
        raise OutputError(
            f"{version_dir} holds {', '.join(others)}, which is not part of the release",
            f"move it out of {version_dir}, or build into another {{dataset_dir}}",
        )
    for name in strays:
        (version_dir / name).unlink(missing_ok=True)
    return tuple(strays)


def _adopt_finished(
    manifest: Manifest, todo: list[ShardPlan], version_dir: Path, share: Share | None,
) -> tuple[Manifest, list[ShardPlan]]:
    """Once the claims are held: take over the records of shards another job finished since this build read
    the manifest (so no shard is generated twice), and release their claims. Returns the manifest and what is
    left to do."""
    on_disk = read_manifest(version_dir) if share is None else read_job_record(version_dir, share)
    if on_disk is None or on_disk.spec_hash != manifest.spec_hash or on_disk.build != manifest.build:
        return manifest, todo
    left = []
    for shard in todo:
        record = on_disk.shard(shard.split, shard.index)
        if record is not None and shard_problem(version_dir, record, shard, manifest.spec_hash) is None:
            manifest = manifest.with_shard(record)
            release_claim(shard_claim_path(version_dir, shard.filename))
        else:
            left.append(shard)
    return manifest, left


def build_release(request: BuildRequest, executor: Executor | None = None) -> BuildReport:
    """Build (or resume) one version into ``dataset_dir/<version>`` and refresh the dataset card."""
    import torch

    started = time.perf_counter()
    numeric = isinstance(request.batch_size, int) and request.batch_size >= 1
    if not (numeric or request.batch_size == AUTO) or request.threads < 1:
        raise ImagenetGError(
            f"batch size and threads must be at least 1 (got {request.batch_size} and {request.threads})",
            "set {batch_size} to 1 or more, or auto, and {threads} to 1 or more",
        )
    release = load_release(request.version, request.specs_dir)
    check_scheduler(release.spec.generator)
    shards = plan_shards(release.spec, request.splits)
    # the manifest sizes every split of the spec, so that a --split build is recorded as incomplete
    every_split = plan_shards(release.spec) if request.splits else shards
    if request.share is not None:
        request.share.check(len(shards))
    version_dir = Path(request.dataset_dir) / release.version
    device = pick_device(request.device)
    fast_path = check_fast_path(request.fast_path, device)
    dtype = effective_dtype(release.spec.generator, device)
    runner = executor or get_executor(request.executor)

    existing = read_manifest(version_dir)
    if existing is None and request.share is not None:
        existing = read_job_record(version_dir, request.share)
    repaired: tuple[str, ...] = ()
    as_read = existing
    if existing is not None:
        _check_manifest(version_dir, release, existing)
        existing, repaired = _restore_spec(existing, release)
    elif version_dir.exists():
        _check_foreign_shards(version_dir, release)

    checked = check_lock(release, request.splits, request.init_images, request.allow_lock_mismatch)
    model, current, lock_written, mismatch = checked.model, checked.lock, checked.written, checked.mismatch
    if existing is not None and existing.lock.without_init_images() != current.without_init_images():
        raise OutputError(
            f"{version_dir} was started with other weights or library versions than this build would use",
            f"choose another {{dataset_dir}} or delete {version_dir}",
        )

    recorded = existing.build.batch_size if existing is not None else None
    batch_size = resolve_batch_size(request.batch_size, device, recorded, release.spec.output.rows_per_shard)
    task = ShardTask(
        version=release.version,
        spec=release.spec,
        spec_hash=release.spec_hash,
        version_dir=version_dir,
        model=model,
        device=device,
        batch_size=batch_size or 1,
        threads=request.threads,
        init_images=checked.init_images,
        fast_path=fast_path,
    )
    if batch_size is None:
        batch_size = probe_batch_size(load_task_generator(task), release.spec.output.rows_per_shard)
        task = dataclasses.replace(task, batch_size=batch_size)
    settings = BuildSettings(
        device_type=torch.device(device).type, dtype=dtype, batch_size=batch_size, threads=request.threads,
        fast_path=fast_path,
    )
    manifest = _drop_bad_records(
        _start_manifest(existing, release, current, mismatch, settings, every_split, device),
        version_dir,
        {(s.split, s.index): s for s in every_split},
    )
    todo = [s for s in shards if manifest.shard(s.split, s.index) is None]
    if request.share is not None:
        todo = request.share.select(shards, todo)
    if todo and existing is not None and existing.build != settings:
        old = existing.build
        raise OutputError(
            f"{version_dir} was started with batch size {old.batch_size}, {old.threads} thread(s) on "
            f"{old.device_type} ({old.dtype}), fast path {','.join(old.fast_path) or 'none'}",
            "build again with the same {batch_size}, {threads}, {device} and {fast_path} so the bytes match, or "
            "choose another {dataset_dir}",
        )
    write_record = write_manifest if request.share is None else partial(write_job_record, share=request.share)

    def save(manifest: Manifest) -> None:
        try:
            version_dir.mkdir(parents=True, exist_ok=True)
            write_record(version_dir, manifest)
        except OSError as exc:
            raise OutputError(
                f"cannot write to {version_dir}: {exc.strerror or exc} (the shards recorded so far are kept)",
                "free space or choose another {dataset_dir}, then build again to resume",
            ) from None

    # Claim every shard to build before generating any, so that a second job started alongside stops here.
    claims = claim_shards(version_dir, [s.filename for s in todo])
    try:
        manifest, todo = _adopt_finished(manifest, todo, version_dir, request.share)
        removed = _remove_strays(version_dir, every_split)
        if manifest != as_read:
            save(manifest)
        remove_stale_temps(version_dir)  # left by killed builds; never a finished shard, nor one being written
        written = 0
        with progress_bar(f"build {release.version}", sum(len(s.rows) for s in todo), request.progress) as advance:
            for record in runner.run(task, todo, advance) if todo else ():
                manifest = manifest.with_shard(record)
                save(manifest)
                release_claim(shard_claim_path(version_dir, record.file))  # only once the record is saved
                written += 1
    finally:
        for claim in claims:
            release_claim(claim)
    finalized = False
    if request.share is not None:
        finalized = finalize_if_complete(release.version, Path(request.dataset_dir), request.specs_dir)
    elif manifest.complete:
        write_card(Path(request.dataset_dir))
    planned = {(s.split, s.index) for s in shards}
    return BuildReport(
        version=release.version,
        dataset_dir=Path(request.dataset_dir),
        version_dir=version_dir,
        spec_hash=release.spec_hash,
        device=device,
        dtype=dtype,
        batch_size=batch_size,
        shards=tuple(r for split in manifest.splits.values() for r in split.shards if (r.split, r.index) in planned),
        written=written,
        skipped=len(shards) - len(todo),
        complete=manifest.complete or finalized,
        lock_written=lock_written,
        lock_path=release.lock_path,
        lock_mismatch=mismatch,
        seconds=time.perf_counter() - started,
        fast_path=fast_path,
        finalized=finalized,
        removed=removed,
        repaired=repaired,
    )

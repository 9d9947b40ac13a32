"""``build_release``: spec -> shard plan -> executor -> shards + manifest -> dataset card, in four phases.

1. ``prepare_build``: check the request, load the spec, plan the shards, pick device, dtype and executor.
2. ``check_resume``: read what the output folder holds, refuse another spec's (or other weights', other settings')
   build, resolve the lock and the batch size, and list the shards left to build. Loads no weights: a batch size
   still to probe (auto on a GPU) is left to the executor, which probes with the pipeline it loads anyway.
3. ``run_build``: claim those shards, generate them through the executor, record each one as it lands (the first
   one of an auto build also records the batch size the executor chose).
4. ``finish_build``: write the dataset card (a job array: finalize when every shard is there) and report.

Resumable: a rerun of a killed build starts at phase 2 from what the record says is there and good. The module
reads top-down: ``build_release``, then each phase followed by its helpers in the order it calls them.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from imagenet_g.checks import MAX_BATCH, MAX_THREADS, check_folder, check_range
from imagenet_g.devices import check_device, pick_device
from imagenet_g.environment import environment
from imagenet_g.errors import ImagenetGError, OutputError
from imagenet_g.files import turn_to_write
from imagenet_g.layout import CARD_FILE, DEFAULT_DATASET_DIR, MANIFEST_FILE, card_problem
from imagenet_g.outputs import check_output_file, check_output_folder, not_empty, visible_entries
from imagenet_g.progress import progress_bar
from imagenet_g.release.generate import (
    CheckedLock,
    ShardTask,
    check_fast_path,
    check_lock,
    check_scheduler,
    effective_dtype,
    open_init_images,
)
from imagenet_g.release.publish import write_card
from imagenet_g.release.run import (
    AUTO,
    JOBS_DIR,
    BatchSize,
    Executor,
    Share,
    WrittenShard,
    check_executor,
    finalize_if_complete,
    get_executor,
    read_job_record,
    resolve_batch_size,
    write_job_record,
)
from imagenet_g.release.spec import SPEC_FILE, Lock, ReleaseDefinition, ShardPlan, load_release, plan_shards
from imagenet_g.release.store import (
    SPEC_HASH_KEY,
    BuildSettings,
    Manifest,
    ShardRecord,
    SplitRecord,
    claim_shards,
    manifest_turn,
    read_manifest,
    release as release_claim,
    remove_stale_temps,
    shard_claim_path,
    shard_problem,
    unlisted_entries,
    update_manifest,
)

ENVIRONMENT_PACKAGES = ("torch", "diffusers", "transformers", "datasets", "pyarrow", "pillow", "numpy")


@dataclass(frozen=True)
class BuildRequest:
    """What to build and where. ``device=None`` picks cuda when available, else cpu.

    ``init_images``: where the real images of an image-conditioned release are (a folder in the dataset's own
    layout, or a Hub dataset id). ``batch_size="auto"``: the largest batch the GPU holds, probed by the executor
    once it has loaded the pipeline (CPU: 4; a resumed build keeps its recorded size). ``fast_path``: names from
    ``imagenet_g.release.generate.fastpath.OPTIONS``. ``share``: build only this job's part of a job array (no
    manifest.json; the last job to finish, or ``finalize_release``, writes it).
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


def build_release(request: BuildRequest, executor: Executor | None = None) -> BuildReport:
    """Build (or resume) one version into ``dataset_dir/<version>`` and refresh the dataset card: prepare, check
    what is built, run the executor over what is left, finish."""
    started = time.perf_counter()
    prepared = prepare_build(request, executor)
    resume = check_resume(prepared)
    outcome = run_build(prepared, resume)
    return finish_build(prepared, resume, outcome, time.perf_counter() - started)


@dataclass(frozen=True)
class PreparedBuild:
    """A build's resolved inputs (phase 1): the release, the shards to build, where, and on what."""

    request: BuildRequest
    release: ReleaseDefinition
    shards: list[ShardPlan]  # this build's (its splits)
    every_split: list[ShardPlan]  # every shard of the spec: the manifest sizes them all, so that a build of some
    # splits is recorded as incomplete
    version_dir: Path
    device: str
    dtype: str
    fast_path: tuple[str, ...]
    runner: Executor


def check_build_request(request: BuildRequest) -> ReleaseDefinition:
    """Every argument of ``request`` that can be checked without torch, diffusers or planning a shard: batch size and
    threads, the executor's and the device's names, the fast-path settings, the release and its splits, the job's
    place in a job array, where the init images are, the output folder (new, empty or a release folder, and its
    README.md a card of ours). Returns the release."""
    not_empty(request.dataset_dir, "dataset_dir")
    numeric = isinstance(request.batch_size, int) and 1 <= request.batch_size <= MAX_BATCH
    if not (numeric or request.batch_size == AUTO):
        raise ImagenetGError(f"batch size must be at least 1 and at most {MAX_BATCH:,} (got {request.batch_size})",
                             f"set {{batch_size}} to 1..{MAX_BATCH:,}, or auto")
    check_range(request.threads, "threads", 1, MAX_THREADS, "torch threads")
    check_executor(request.executor)
    check_device(request.device)
    check_fast_path(request.fast_path, request.device)
    release = load_release(request.version, request.specs_dir)
    release.spec.plan.image_count(request.splits)
    if request.share is not None:
        request.share.check()
    if request.init_images is not None and release.spec.conditioning.init_images is None:
        raise ImagenetGError(f"release {release.version} is conditioned on {release.spec.conditioning.kind}, not on "
                             "real images", "leave {init_images} out")
    open_init_images(release.spec, request.init_images)
    check_folder(request.dataset_dir, "dataset_dir", must_exist=False)
    _check_dataset_dir(Path(request.dataset_dir), release.version)
    return release


def _holds_releases(version: str) -> Callable[[Path], bool]:
    """Whether a folder is a release folder a build of ``version`` may write into: it holds the card, a version
    (a manifest, or a job array's records), or this version's folder alone (a first build killed early)."""

    def holds(folder: Path) -> bool:
        versions = (d for d in folder.iterdir() if d.is_dir() and not d.name.startswith("."))
        return ((folder / CARD_FILE).is_file() or visible_entries(folder) == [version]
                or any((d / MANIFEST_FILE).is_file() or (d / JOBS_DIR).is_dir() for d in versions))

    return holds


def _check_dataset_dir(dataset_dir: Path, version: str) -> None:
    """The release folder is new, empty or a release folder, and its README.md (if any) a card of ours: a build
    writes the card there, and never over a user's own README.md."""
    check_output_folder(dataset_dir, _holds_releases(version), "a release folder", "dataset_dir")
    check_output_file(dataset_dir / CARD_FILE, card_problem, "dataset_dir")


def prepare_build(request: BuildRequest, executor: Executor | None = None) -> PreparedBuild:
    """Phase 1: check the request, load the spec, plan the shards, pick the device, dtype and executor.

    Loads no weights and reads of the output folder only its listing and card, so a wrong request fails at once.
    """
    release = check_build_request(request)
    check_scheduler(release.spec.generator)
    shards = plan_shards(release.spec, request.splits)
    every_split = plan_shards(release.spec) if request.splits else shards
    if request.share is not None:
        request.share.check(len(shards), "shards to build")
    device = pick_device(request.device)
    fast_path = check_fast_path(request.fast_path, device)
    dtype = effective_dtype(release.spec.generator, device)
    return PreparedBuild(
        request=request,
        release=release,
        shards=shards,
        every_split=every_split,
        version_dir=Path(request.dataset_dir) / release.version,
        device=device,
        dtype=dtype,
        fast_path=fast_path,
        runner=executor or get_executor(request.executor),
    )


@dataclass(frozen=True)
class ResumePoint:
    """Where a build starts (phase 2): the manifest to continue from (records of good shards only), the shards left
    to build and the task that builds them."""

    manifest: Manifest
    as_read: Manifest | None  # the record on disk, so that it is rewritten only when it changed
    todo: list[ShardPlan]
    task: ShardTask
    checked: CheckedLock
    repaired: tuple[str, ...]


def check_resume(prepared: PreparedBuild) -> ResumePoint:
    """Phase 2: what is built already, and whether this build may continue it.

    Refuses a folder holding another spec's version, other weights or library versions, or (when shards are left)
    other build settings, since the bytes would differ. The lock is resolved after the folder's spec is checked,
    so a build pointed at the wrong folder stops before it loads weights or writes a lock. Records of shards that
    no longer match (missing, truncated, altered) are dropped so that those shards are built again.
    """
    import torch

    request, release, version_dir = prepared.request, prepared.release, prepared.version_dir
    existing, as_read, repaired = _read_record(prepared)
    checked = check_lock(release, request.splits, request.init_images, request.allow_lock_mismatch)
    if existing is not None and existing.lock.without_init_images() != checked.lock.without_init_images():
        raise OutputError(
            f"{version_dir} was started with other weights or library versions than this build would use",
            f"choose another {{dataset_dir}} or delete {version_dir}",
        )
    task = _shard_task(prepared, checked, existing)
    settings = BuildSettings(
        device_type=torch.device(prepared.device).type, dtype=prepared.dtype, batch_size=task.batch_size,
        threads=request.threads, fast_path=prepared.fast_path,
    )
    manifest = _drop_bad_records(
        _start_manifest(existing, release, checked.lock, checked.mismatch, settings, prepared.every_split,
                        prepared.device),
        version_dir,
        {(s.split, s.index): s for s in prepared.every_split},
    )
    todo = [s for s in prepared.shards if manifest.shard(s.split, s.index) is None]
    if request.share is not None:
        todo = request.share.select(prepared.shards, todo)
    if todo and existing is not None and existing.build != settings:
        old = existing.build
        raise OutputError(
            f"{version_dir} was started with batch size {old.batch_size}, {old.threads} thread(s) on "
            f"{old.device_type} ({old.dtype}), fast path {','.join(old.fast_path) or 'none'}",
            "build again with the same {batch_size}, {threads}, {device} and {fast_path} so the bytes match, or "
            "choose another {dataset_dir}",
        )
    return ResumePoint(manifest=manifest, as_read=as_read, todo=todo, task=task, checked=checked, repaired=repaired)


def _read_record(prepared: PreparedBuild) -> tuple[Manifest | None, Manifest | None, tuple[str, ...]]:
    """The folder's record of this version (the manifest, or this job's record), refused when it comes from another
    spec; with no record, refuse shards of another spec. Returns the record with its spec restored, the record as
    read, and what was repaired."""
    request, release, version_dir = prepared.request, prepared.release, prepared.version_dir
    existing = read_manifest(version_dir)
    if existing is None and request.share is not None:
        existing = read_job_record(version_dir, request.share)
    if existing is None:
        if version_dir.exists():
            _check_foreign_shards(version_dir, release)
        return None, None, ()
    _check_manifest(version_dir, release, existing)
    restored, repaired = _restore_spec(existing, release)
    return restored, existing, repaired


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


def _restore_spec(manifest: Manifest, release: ReleaseDefinition) -> tuple[Manifest, tuple[str, ...]]:
    """A manifest whose spec was edited (its hash, like the shards', still names the release's spec) gets the
    release's spec back; returns it and what was repaired."""
    if not manifest.spec_edited:
        return manifest, ()
    return manifest.model_copy(update={"spec": release.spec}), (
        f"{MANIFEST_FILE}: its spec had been edited; restored from the {release.version} spec",
    )


def _shard_task(prepared: PreparedBuild, checked: CheckedLock, existing: Manifest | None) -> ShardTask:
    """The task every executor runs, with the batch size resolved where no pipeline is needed for it (a resumed
    build keeps its recorded one); None leaves auto on a GPU to the executor's probe."""
    request, spec = prepared.request, prepared.release.spec
    recorded = existing.build.batch_size if existing is not None else None
    return ShardTask(
        version=prepared.release.version,
        spec=spec,
        spec_hash=prepared.release.spec_hash,
        version_dir=prepared.version_dir,
        model=checked.model,
        device=prepared.device,
        batch_size=resolve_batch_size(request.batch_size, prepared.device, recorded, spec.output.rows_per_shard),
        threads=request.threads,
        init_images=checked.init_images,
        fast_path=prepared.fast_path,
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


@dataclass(frozen=True)
class RunOutcome:
    """What the run phase (3) did: the manifest as saved, the shards written and skipped, the strays removed."""

    manifest: Manifest
    written: int
    skipped: int
    removed: tuple[str, ...]


def run_build(prepared: PreparedBuild, resume: ResumePoint) -> RunOutcome:
    """Phase 3: claim the shards left, then generate them through the executor, saving the record after each.

    Every shard is claimed before any is generated, so that a second build started alongside stops at once;
    shards another build finished meanwhile are adopted, not built again. Strays and what killed builds left are
    removed first. A claim is released only once its shard's record is saved.
    """
    version_dir, request, release = prepared.version_dir, prepared.request, prepared.release
    save = _saver(prepared, resume.as_read)
    manifest, todo = resume.manifest, resume.todo
    try:
        claims = claim_shards(version_dir, [s.filename for s in todo])
    except OutputError:
        raise
    except OSError as exc:
        raise _unwritable(version_dir, exc) from None
    try:
        manifest, todo = _adopt_finished(manifest, todo, version_dir, request.share)
        removed = _remove_strays(version_dir, prepared.every_split)
        if manifest != resume.as_read and manifest.build.batch_size is not None:  # else: saved with its first shard
            manifest = save(manifest)
        _clear_killed_writes(prepared)
        written = 0
        with progress_bar(f"build {release.version}", sum(len(s.rows) for s in todo), request.progress) as advance:
            for shard in prepared.runner.run(resume.task, todo, advance) if todo else ():
                manifest = save(_recorded(manifest, shard))
                release_claim(shard_claim_path(version_dir, shard.record.file))  # only once the record is saved
                written += 1
    finally:
        for claim in claims:
            release_claim(claim)
    return RunOutcome(manifest=manifest, written=written, skipped=len(prepared.shards) - len(todo), removed=removed)


def _saver(prepared: PreparedBuild, as_read: Manifest | None) -> Callable[[Manifest], Manifest]:
    """How this build saves its record, returning what it saved: the manifest, merged with what builds of other
    splits recorded since this one last read or wrote it (``as_read``, at first); or a job array's own record."""
    version_dir, share = prepared.version_dir, prepared.request.share
    base = as_read

    def save(manifest: Manifest) -> Manifest:
        nonlocal base
        try:
            version_dir.mkdir(parents=True, exist_ok=True)
            if share is None:
                manifest = update_manifest(version_dir, base, manifest)
            else:
                write_job_record(version_dir, manifest, share)
        except OSError as exc:
            raise _unwritable(version_dir, exc, " (the shards recorded so far are kept)") from None
        base = manifest
        return manifest

    return save


def _unwritable(version_dir: Path, exc: OSError, note: str = "") -> OutputError:
    """The error for a version folder this build cannot write to (full disk, no permission): a rerun resumes."""
    return OutputError(
        f"cannot write to {version_dir}: {exc.strerror or exc}{note}",
        "free space or choose another {dataset_dir}, then build again to resume",
    )


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


def _clear_killed_writes(prepared: PreparedBuild) -> None:
    """Delete the temp files killed builds left: of shards nobody is building, of the manifest and of the card
    (taking turns with their live writers, whose temp files stay)."""
    remove_stale_temps(prepared.version_dir)
    with manifest_turn(prepared.version_dir):
        pass
    with turn_to_write(Path(prepared.request.dataset_dir) / CARD_FILE):
        pass


def _recorded(manifest: Manifest, shard: WrittenShard) -> Manifest:
    """The manifest with a shard the executor wrote; the first shard of an auto build brings the batch size the
    executor probed, which the manifest then records for every later shard and a resume."""
    if manifest.build.batch_size is None:
        build = manifest.build.model_copy(update={"batch_size": shard.batch_size})
        manifest = manifest.model_copy(update={"build": build})
    return manifest.with_shard(shard.record)


def finish_build(prepared: PreparedBuild, resume: ResumePoint, outcome: RunOutcome, seconds: float) -> BuildReport:
    """Phase 4: a complete build writes the dataset card; the job of an array that finds every shard there
    finalizes (checks every shard, writes the manifest and the card). Returns the report."""
    request, release = prepared.request, prepared.release
    finalized = False
    if request.share is not None:
        finalized = finalize_if_complete(release.version, Path(request.dataset_dir), request.specs_dir)
    elif outcome.manifest.complete:
        write_card(Path(request.dataset_dir))
    planned = {(s.split, s.index) for s in prepared.shards}
    return BuildReport(
        version=release.version,
        dataset_dir=Path(request.dataset_dir),
        version_dir=prepared.version_dir,
        spec_hash=release.spec_hash,
        device=prepared.device,
        dtype=prepared.dtype,
        batch_size=outcome.manifest.build.batch_size,
        shards=tuple(r for split in outcome.manifest.splits.values() for r in split.shards
                     if (r.split, r.index) in planned),
        written=outcome.written,
        skipped=outcome.skipped,
        complete=outcome.manifest.complete or finalized,
        lock_written=resume.checked.written,
        lock_path=release.lock_path,
        lock_mismatch=resume.checked.mismatch,
        seconds=seconds,
        fast_path=prepared.fast_path,
        finalized=finalized,
        removed=outcome.removed,
        repaired=resume.repaired,
    )

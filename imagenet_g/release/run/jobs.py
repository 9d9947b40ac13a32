"""Static partitioning for job arrays (Slurm and the like) without Ray, and the finalize step.

Job ``i`` of ``n`` builds the planned shards whose position in the release's shard order is ``i`` modulo
``n``. Jobs never touch ``manifest.json``: each keeps its own record in ``<version>/jobs/job-i-of-n.json``
(rewritten atomically after each shard, by that job alone), so concurrent jobs cannot lose each other's
records. ``finalize_release`` (``build --finalize``, or the last job to finish) checks that every planned
shard is there and matches its record, then writes the manifest and the dataset card, and removes ``jobs/``.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from imagenet_g.errors import OutputError, ReleaseIntegrityError
from imagenet_g.files import atomic_write_text
from imagenet_g.job_array import Share as JobShare
from imagenet_g.release.publish import write_card
from imagenet_g.release.spec import SPEC_FILE, ShardPlan, load_release, plan_shards
from imagenet_g.release.store import Manifest, acquire, read_manifest, release, shard_problem, write_manifest

JOBS_DIR = "jobs"


class Share(JobShare):
    """Job ``index`` of ``count`` in a build's job array: its shards (``job_array.Share``) and its record file."""

    def select(self, planned: list[ShardPlan], todo: list[ShardPlan]) -> list[ShardPlan]:
        """This job's shards among ``todo`` (positions counted in the full plan, so every job agrees)."""
        mine = {(s.split, s.index) for s in self.take(planned)}
        return [s for s in todo if (s.split, s.index) in mine]

    @property
    def job_file(self) -> str:
        return f"job-{self.index:05d}-of-{self.count:05d}.json"


def write_job_record(version_dir: Path, manifest: Manifest, share: Share) -> None:
    """Save one job's view of the manifest (its own file; no other job writes it)."""
    atomic_write_text(version_dir / JOBS_DIR / share.job_file, manifest.model_dump_json(indent=2) + "\n")


def read_job_record(version_dir: Path, share: Share) -> Manifest | None:
    """A job's own record from an earlier run (so a rerun job resumes), or None."""
    path = version_dir / JOBS_DIR / share.job_file
    if not path.is_file():
        return None
    try:
        return Manifest.model_validate_json(path.read_bytes())
    except ValueError:
        raise ReleaseIntegrityError(f"{path} is damaged; delete it and rerun this job") from None


def _job_records(version_dir: Path) -> dict[str, Manifest]:
    records = {}
    for path in sorted((version_dir / JOBS_DIR).glob("job-*-of-*.json")):
        try:
            records[path.name] = Manifest.model_validate_json(path.read_bytes())
        except ValueError:
            raise ReleaseIntegrityError(f"{path} is damaged; delete it and rerun that job") from None
    return records


def _check_same_build(version_dir: Path, base: Manifest, others: dict[str, Manifest]) -> None:
    for name, other in others.items():
        if other.spec_hash != base.spec_hash or other.lock != base.lock:
            raise OutputError(
                f"{version_dir / JOBS_DIR / name} comes from another spec or other weights/libraries than the rest",
                "delete it and rerun that job with the same spec and environment",
            )
        if other.build != base.build:
            raise OutputError(
                f"{version_dir / JOBS_DIR / name} was built with other settings ({other.build}) than the rest "
                f"({base.build}), so its bytes differ",
                "rerun that job with the same {batch_size}, {threads}, {device} and {fast_path}",
            )


@dataclass(frozen=True)
class FinalizeReport:
    """What ``finalize_release`` found and wrote."""

    version: str
    version_dir: Path
    shards: int
    rows: int
    jobs: int


def _merged_manifest(version_dir: Path, version: str, specs_dir: Path | None = None) -> tuple[Manifest, list[str], int]:
    """The manifest of everything recorded so far, the problems that keep it from completion, and the job count."""
    release = load_release(version, specs_dir)
    planned = plan_shards(release.spec)
    base = read_manifest(version_dir)
    jobs = _job_records(version_dir)
    if base is None and not jobs:
        raise ReleaseIntegrityError(
            f"nothing of {version} is built in {version_dir} (no manifest.json, no {JOBS_DIR}/); run the build jobs first"
        )
    merged = base or next(iter(jobs.values()))
    if merged.spec_hash != release.spec_hash:
        raise OutputError(
            f"{version_dir} holds {version} built from a different spec than {release.folder / SPEC_FILE}",
            f"choose another {{dataset_dir}} or delete {version_dir}",
        )
    _check_same_build(version_dir, merged, jobs)
    for job in jobs.values():
        for split in job.splits.values():
            for record in split.shards:
                merged = merged.with_shard(record)
    problems, counts = [], {j.split("-of-")[1] for j in jobs}
    for position, shard in enumerate(planned):
        record = merged.shard(shard.split, shard.index)
        problem = f"{shard.filename} missing" if record is None else shard_problem(version_dir, record, shard, release.spec_hash)
        if problem:
            owner = ""
            if len(counts) == 1:  # every job file agrees on the array size: name the job to rerun
                total = int(next(iter(counts)).removesuffix(".json"))
                owner = f" (job {position % total} of {total})"
            problems.append(problem + owner)
    return merged, problems, len(jobs)


def finalize_release(version: str, dataset_dir: Path, specs_dir: Path | None = None) -> FinalizeReport:
    """Check every planned shard, then write ``manifest.json`` (complete) and the card; names what is missing."""
    version_dir = Path(dataset_dir) / version
    jobs_dir = version_dir / JOBS_DIR
    if not version_dir.is_dir():
        raise ReleaseIntegrityError(f"nothing of {version} is built in {version_dir}; run the build jobs first")
    lock = version_dir / ".finalize.lock"
    acquire(lock, f"finalizing {version}")
    try:
        manifest, problems, jobs = _merged_manifest(version_dir, version, specs_dir)
        if problems:
            shown = "; ".join(problems[:10]) + (f"; and {len(problems) - 10} more" if len(problems) > 10 else "")
            raise ReleaseIntegrityError(
                f"cannot finalize {version}: {len(problems)} shards not ready ({shown})",
                "run (or rerun) those jobs, then finalize again",
            )
        write_manifest(version_dir, manifest)
        write_card(Path(dataset_dir))
        for path in jobs_dir.glob("job-*-of-*.json"):
            path.unlink()
    finally:
        release(lock)
    if jobs_dir.is_dir() and not any(jobs_dir.iterdir()):
        jobs_dir.rmdir()
    rows = sum(s.rows for split in manifest.splits.values() for s in split.shards)
    shards = sum(len(split.shards) for split in manifest.splits.values())
    return FinalizeReport(version=version, version_dir=version_dir, shards=shards, rows=rows, jobs=jobs)


def finalize_if_complete(version: str, dataset_dir: Path, specs_dir: Path | None = None) -> bool:
    """Run by each job at its end: finalize when every shard is there; False while some are not (or another
    job is finalizing right now)."""
    _, problems, _ = _merged_manifest(Path(dataset_dir) / version, version, specs_dir)
    if problems:
        return False
    try:
        finalize_release(version, dataset_dir, specs_dir)
    except OutputError:  # the finalize claim is held: the job finishing alongside this one writes the manifest
        return False
    return True

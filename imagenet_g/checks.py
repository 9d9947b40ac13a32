"""Checks of what a user gives, made before any heavy library is imported and before any work starts: numbers
within their bounds, paths of the kind they must be, lists that name something. Each failure is one of our errors,
naming the parameter as ``{param}`` (the CLI writes its flag)."""

from __future__ import annotations

import os
from pathlib import Path

from imagenet_g.errors import ArgumentError

# torch.set_num_threads takes a C int, and a build's thread count is part of its bytes, so a machine may need more
# threads than it has cores to rebuild another's release; past this many no machine gains anything.
MAX_THREADS = 1024
# Images per batch: a batch lives in memory as decoded pixels (65,536 RGB images at 224 px are 10 GB); larger
# batches only move the limit from the device to the host.
MAX_BATCH = 65_536
# Ray workers of a build: far more than any cluster hosts (each worker holds a pipeline), few enough that a mistyped
# count is refused before Ray starts, not after it has started and been measured.
MAX_RAY_WORKERS = 10_000


def usable_cores() -> int:
    """The CPU cores this process may run on (its affinity mask where the OS has one, e.g. under Slurm or taskset)."""
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0))
    return os.cpu_count() or 1


def check_workers(workers: int | None, param: str = "workers") -> int | None:
    """Worker processes: None (one per core), 0 (none) or at most one per usable core; each worker is a process with
    its own copy of the model, so more only oversubscribe the cores (and a huge number forks until memory is gone)."""
    if workers is None:
        return None
    cores = usable_cores()
    if not 0 <= workers <= cores:
        raise ArgumentError(
            f"{workers:,} worker processes asked for; this process may use {cores} CPU core{'s' * (cores != 1)}",
            f"set {{{param}}} to 0..{cores} (0: decode in this process), or leave it out for one per core",
        )
    return workers


def check_range(value: float, param: str, low: float, high: float, what: str = "") -> float:
    """``low <= value <= high``, else an error saying the bounds (and what the number counts)."""
    if not low <= value <= high:
        counted = f" ({what})" if what else ""
        raise ArgumentError(f"{param} {value:,} is out of range{counted}", f"set {{{param}}} to {low:,}..{high:,}")
    return value


def check_folder(path: Path | str, param: str, *, must_exist: bool = True) -> Path:
    """A folder given by the user: it exists and is a folder (``must_exist=False``: if something is there, it is a
    folder, e.g. an output folder to be created)."""
    path = Path(path)
    if path.exists() and not path.is_dir():
        raise ArgumentError(f"{param} {str(path)!r} is a file, not a folder", f"set {{{param}}} to a folder")
    if must_exist and not path.exists():
        raise ArgumentError(f"{param} {str(path)!r} does not exist", f"set {{{param}}} to an existing folder")
    return path


def check_file(path: Path | str, param: str) -> Path:
    """A file given by the user: it exists and is a file."""
    path = Path(path)
    if path.is_dir():
        raise ArgumentError(f"{param} {str(path)!r} is a folder, not a file", f"set {{{param}}} to a file")
    if not path.exists():
        raise ArgumentError(f"{param} {str(path)!r} does not exist", f"set {{{param}}} to an existing file")
    return path

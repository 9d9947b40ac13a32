"""Exclusive claims on work in a shared output folder, so that two jobs never write the same shard.

A claim is a lock file created with ``O_CREAT | O_EXCL`` (atomic on local and NFS v3+ filesystems) that names
its owner. While held, a daemon thread touches it every ``HEARTBEAT_S`` seconds. A claim counts as abandoned when
its owner is a dead process on this host, or when nobody has touched it for ``STALE_S`` seconds (a job killed on
another node); an abandoned claim is taken over, so a killed or preempted job can simply be rerun.
"""

from __future__ import annotations

import json
import os
import socket
import threading
import time
from pathlib import Path

from imagenet_g.release.writer import TEMP_GLOB
from imagenet_g.errors import OutputError

HEARTBEAT_S = 10.0
STALE_S = 120.0  # twelve missed heartbeats: the owner is gone, not slow

_held: set[Path] = set()
_held_lock = threading.Lock()
_heartbeat: threading.Thread | None = None


def _beat() -> None:
    while True:
        time.sleep(HEARTBEAT_S)
        with _held_lock:
            paths = list(_held)
        for path in paths:
            try:
                os.utime(path)
            except OSError:
                pass  # released (or its folder removed) between the copy and the touch


def _start_heartbeat() -> None:
    global _heartbeat
    if _heartbeat is None or not _heartbeat.is_alive():
        _heartbeat = threading.Thread(target=_beat, name="imagenet-g-claims", daemon=True)
        _heartbeat.start()


def _owner() -> dict[str, object]:
    return {"host": socket.gethostname(), "pid": os.getpid(), "since": time.strftime("%Y-%m-%dT%H:%M:%S%z")}


def _read_owner(path: Path) -> dict[str, object]:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}


def _abandoned(path: Path, owner: dict[str, object]) -> bool:
    if owner.get("host") == socket.gethostname() and isinstance(owner.get("pid"), int):
        try:
            os.kill(owner["pid"], 0)
        except ProcessLookupError:
            return True
        except PermissionError:
            return False
        return False
    try:
        return time.time() - path.stat().st_mtime > STALE_S
    except FileNotFoundError:
        return True


def _create(path: Path) -> bool:
    try:
        fd = os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644)
    except FileExistsError:
        return False
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        json.dump(_owner(), handle)
    return True


def acquire(path: Path, what: str) -> None:
    """Take the claim at ``path`` or raise ``OutputError`` naming who holds it."""
    path.parent.mkdir(parents=True, exist_ok=True)
    if not _create(path):
        owner = _read_owner(path)
        if not _abandoned(path, owner):
            raise OutputError(
                f"{what} is being built by another job (host {owner.get('host', '?')}, pid {owner.get('pid', '?')}, "
                f"since {owner.get('since', '?')}); wait for it, or if no such job runs, delete {path}"
            )
        path.unlink(missing_ok=True)
        if not _create(path):  # another job took it over first
            raise OutputError(f"{what} was just claimed by another job; run again once it has finished")
    with _held_lock:
        _held.add(path)
    _start_heartbeat()


def release(path: Path) -> None:
    """Give a claim back."""
    with _held_lock:
        _held.discard(path)
    path.unlink(missing_ok=True)


def shard_claim_path(version_dir: Path, filename: str) -> Path:
    """The claim file of one shard, beside it (hidden, so ``datasets`` and the Hub upload ignore it)."""
    return version_dir / f".{filename}.lock"


def remove_stale_temps(version_dir: Path) -> None:
    """Delete temp files of killed writers, but none of a shard that another job is writing now."""
    for temp in version_dir.glob(TEMP_GLOB):
        claim = shard_claim_path(version_dir, temp.name[1:].split(".tmp-")[0])
        try:
            acquire(claim, "a stale temp file")
        except OutputError:
            continue
        try:
            temp.unlink(missing_ok=True)
        finally:
            release(claim)

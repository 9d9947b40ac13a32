"""Exclusive claims on outputs, so that two jobs never write the same one: the one lock of every writer (a build's
shards, an eval's results file, an audit's folder, a training run's folder, a sweep's folder).

A claim is a lock file that names its owner (host, pid, time). It is created in one atomic step: the owner is
written to a private temp file, which is then hard-linked to the claim's name (``link`` fails when the name
exists; atomic on local and NFS filesystems), so no job ever sees an empty or half-written claim. While held, a
daemon thread touches it every ``_HEARTBEAT_S`` seconds. A claim counts as abandoned when it names no owner (left
by an older version), when its owner is a dead process on this host, or when nobody has touched it for
``STALE_S`` seconds (a job killed on another node); an abandoned claim is taken over at once, so a killed or
preempted job can simply be rerun.
"""

from __future__ import annotations

import errno
import json
import os
import re
import socket
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from imagenet_g.errors import OutputError

_HEARTBEAT_S = 10.0
STALE_S = 120.0  # twelve missed heartbeats: the owner is gone, not slow
_TAKEOVER_STALE_S = 10.0  # a takeover holds its mutex for microseconds; an older one was left by a killed job
CLAIM_TEMP_SUFFIX = ".claim-tmp"
_HOST_TAG = re.sub(r"[^A-Za-z0-9-]", "-", socket.gethostname())  # this host, as it appears in claim temp names

_held: set[Path] = set()
_held_lock = threading.Lock()
_heartbeat: threading.Thread | None = None


def _beat() -> None:
    while True:
        time.sleep(_HEARTBEAT_S)
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


def _absolute(path: Path) -> Path:
    """A claim's path as the held set keys it, whichever folder the caller named it from."""
    return Path(os.path.abspath(path))


def _owner() -> dict[str, object]:
    return {"host": socket.gethostname(), "pid": os.getpid(), "since": time.strftime("%Y-%m-%dT%H:%M:%S%z")}


def _read(path: Path) -> bytes | None:
    try:
        return path.read_bytes()
    except OSError:
        return None


def _parse_owner(raw: bytes | None) -> dict[str, object]:
    try:
        owner = json.loads(raw or b"")
    except ValueError:
        return {}
    return owner if isinstance(owner, dict) else {}


def _dead_here(owner: dict[str, object]) -> bool | None:
    """Whether the owner is a dead process on this host; None when it is on another host (or unknown)."""
    pid = owner.get("pid")
    if owner.get("host") != socket.gethostname() or not isinstance(pid, int) or isinstance(pid, bool):
        return None
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except PermissionError:  # alive, another user's
        return False
    return False


def _untouched_for(path: Path, seconds: float) -> bool:
    try:
        return time.time() - path.stat().st_mtime > seconds
    except FileNotFoundError:
        return True


def _abandoned(path: Path, owner: dict[str, object]) -> bool:
    if not owner:  # claims are never written in place: one without an owner comes from a killed older version
        return True
    dead = _dead_here(owner)
    return dead if dead is not None else _untouched_for(path, STALE_S)


def _claim_temp(path: Path) -> Path:
    """A private temp file for creating ``path``, named after this host and process, so that one left by a killed
    job is recognised even when it holds nothing (killed while writing it)."""
    return path.with_name(f"{path.name}.{_HOST_TAG}.{os.getpid()}-{uuid.uuid4().hex[:8]}{CLAIM_TEMP_SUFFIX}")


def temp_abandoned(temp: Path) -> bool:
    """Whether a claim temp file was left by a dead process of this host (another host's: ``STALE_S`` old)."""
    host, process = temp.name.removesuffix(CLAIM_TEMP_SUFFIX).rsplit(".", 2)[-2:]
    pid = process.split("-")[0]
    if host == _HOST_TAG and pid.isdigit():
        return bool(_dead_here({"host": socket.gethostname(), "pid": int(pid)}))
    return _untouched_for(temp, STALE_S)


def _create(path: Path) -> bool:
    """Create the claim with its owner in one atomic step; False when it exists already."""
    temp = _claim_temp(path)
    try:
        temp.write_text(json.dumps(_owner()), encoding="utf-8")
        os.link(temp, path)
        return True
    except FileExistsError:
        return False
    except OSError as exc:
        if exc.errno not in (errno.EPERM, errno.ENOTSUP, errno.EOPNOTSUPP, errno.EMLINK):
            raise
        return _create_exclusive(path)  # a filesystem without hard links
    finally:
        temp.unlink(missing_ok=True)


def _create_exclusive(path: Path) -> bool:
    try:
        fd = os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644)
    except FileExistsError:
        return False
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        json.dump(_owner(), handle)
    return True


def _take_over(path: Path, seen: bytes | None) -> bool:
    """Replace the abandoned claim that held ``seen``; False when another job got there first.

    Takeovers go one at a time (an exclusive mutex file beside the claim), and a claim is removed only while it
    still holds what was judged abandoned, so two jobs never both take over the same claim.
    """
    mutex = path.with_name(f"{path.name}.takeover")
    try:
        os.close(os.open(mutex, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644))
    except FileExistsError:
        if _untouched_for(mutex, _TAKEOVER_STALE_S):
            mutex.unlink(missing_ok=True)  # the next attempt proceeds
        return False
    try:
        if _read(path) != seen:
            return False
        path.unlink(missing_ok=True)
        return _create(path)
    finally:
        mutex.unlink(missing_ok=True)


def acquire(path: Path, what: str, doing: str = "written") -> None:
    """Take the claim at ``path`` or raise ``OutputError`` naming who holds it (``what`` is being ``doing`` by it)."""
    path = _absolute(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    if not _create(path):
        seen = _read(path)
        owner = _parse_owner(seen)
        if not _abandoned(path, owner):
            raise OutputError(
                f"{what} is being {doing} by another job (host {owner.get('host', '?')}, pid {owner.get('pid', '?')}, "
                f"since {owner.get('since', '?')})",
                f"wait for it, or if no such job runs, delete {path}",
            )
        if not _take_over(path, seen):
            raise OutputError(f"{what} was just claimed by another job", "run again once it has finished")
    with _held_lock:
        _held.add(path)
    _start_heartbeat()


def release(path: Path) -> None:
    """Give back a claim this process holds; a no-op for one it does not hold (never another job's claim)."""
    path = _absolute(path)
    with _held_lock:
        if path not in _held:
            return
        _held.discard(path)
    path.unlink(missing_ok=True)


def holds(path: Path) -> bool:
    """Whether this process holds the claim at ``path``."""
    path = _absolute(path)
    with _held_lock:
        return path in _held


def claim_path(target: Path) -> Path:
    """The claim file of an output (a file or a folder): hidden, beside it, so never part of it (``datasets``, the
    Hub upload and a release's verification skip hidden files)."""
    target = _absolute(target)
    return target.with_name(f".{target.name}.lock")


@contextmanager
def claimed(target: Path, what: str, doing: str = "written") -> Iterator[None]:
    """Hold the claim on the output ``target`` while the block writes it: ``OutputError`` naming the owner when a
    live job holds it, a dead job's claim is taken over. Re-entrant within a process (a job calling another on the
    same output holds it once). The folders made for the claim alone are removed with it when left empty."""
    path = claim_path(target)
    if holds(path):
        yield
        return
    made = [folder for folder in path.parents if not folder.exists()]  # deepest first
    try:
        acquire(path, what, doing)
    except OSError as exc:
        if isinstance(exc, OutputError):
            raise
        raise OutputError(f"cannot write beside {target}: {exc.strerror or exc}", "choose another place for it") from None
    try:
        yield
    finally:
        release(path)
        for folder in made:
            try:
                folder.rmdir()
            except OSError:
                break  # the job wrote there: not empty

"""Ray for every job that scales out on it (builds, sweeps): importing it, joining or starting the runtime, and
the one-time marker of the tests' killed-worker hooks. Each job keeps its own scheduling."""

from __future__ import annotations

import os
import signal
import socket
import threading
from pathlib import Path
from typing import Any

from imagenet_g.errors import ClusterError, DependencyError

CONNECT_TIMEOUT_S = 10.0


def require_ray() -> Any:
    """Import ray, or explain how to install it."""
    try:
        import ray
        from ray.util import ActorPool  # noqa: F401  (fails on a broken install, not later mid-run)
    except ImportError:
        raise DependencyError(
            "the ray executor needs Ray, which is not installed; install the extra: pip install 'imagenet-g[ray]'"
        ) from None
    return ray


def _probe(address: str, timeout_s: float) -> None:
    """Fail fast when HOST:PORT does not accept connections (ray.init would retry for minutes)."""
    host, _, port = address.removeprefix("ray://").rpartition(":")
    if not host or not port.isdigit():
        raise ClusterError(f"Ray address {address!r} is not auto or HOST:PORT", "set {address} to auto or e.g. 10.0.0.1:6379")
    try:
        socket.create_connection((host, int(port)), timeout=timeout_s).close()
    except OSError as exc:
        raise ClusterError(
            f"cannot reach a Ray head node at {address} within {timeout_s:.0f}s ({exc.strerror or exc}); "
            "check the address (`ray status` on the head node prints it) and the firewall"
        ) from None


def connect(address: str | None, timeout_s: float = CONNECT_TIMEOUT_S) -> bool:
    """Join (or start) the Ray runtime; returns True when this call started it (and so must shut it down).

    ``address``: None starts a local Ray runtime (or joins ``$RAY_ADDRESS``); ``auto`` joins the cluster started on
    this node with ``ray start``; ``HOST:PORT`` (or ``ray://HOST:PORT``) joins that head node.
    """
    ray = require_ray()
    if address not in (None, "auto", "local"):
        _probe(address, timeout_s)
    if ray.is_initialized():
        return False
    # ray.init replaces the driver's SIGTERM handler with a bare exit; keep the caller's (the CLI stops a run
    # on SIGTERM like on Ctrl-C: claims released, finished work kept, one line).
    on_sigterm = signal.getsignal(signal.SIGTERM)
    try:
        ray.init(address=address, include_dashboard=False, configure_logging=False, log_to_driver=False)
    except ConnectionError as exc:
        raise ClusterError(
            f"cannot join the Ray cluster at {address} ({str(exc).splitlines()[0]})",
            "start one with `ray start --head`, or leave {address} unset to run a local one",
        ) from None
    finally:
        if threading.current_thread() is threading.main_thread() and on_sigterm is not None:
            signal.signal(signal.SIGTERM, on_sigterm)
    return True


def first_time(marker: Path) -> bool:
    """True for the one caller that creates ``marker`` (the tests' hooks that kill a worker exactly once)."""
    try:
        os.close(os.open(marker, os.O_CREAT | os.O_EXCL | os.O_WRONLY))
    except FileExistsError:
        return False
    return True

"""The executor registry: ``local`` (this process) and ``ray`` (a Ray cluster, optional extra)."""

from __future__ import annotations

from collections.abc import Callable

from imagenet_g.errors import unknown
from imagenet_g.release.run.executor import Executor, LocalExecutor


def _ray_executor() -> Executor:
    from imagenet_g.release.run.ray_executor import RayExecutor

    return RayExecutor()


EXECUTORS: dict[str, Callable[[], Executor]] = {"local": LocalExecutor, "ray": _ray_executor}


def check_executor(name: str) -> str:
    """``name`` is a registered executor (nothing is imported or started)."""
    if name not in EXECUTORS:
        raise unknown("executor", name, EXECUTORS)
    return name


def get_executor(name: str) -> Executor:
    """The executor registered as ``name``."""
    return EXECUTORS[check_executor(name)]()

"""Where numbers and bytes came from: the host and the versions of the packages involved."""

from __future__ import annotations

import platform
from collections.abc import Iterable
from importlib.metadata import PackageNotFoundError, version


def package_versions(names: Iterable[str]) -> dict[str, str]:
    """Installed version of each distribution, or 'not installed'."""
    found = {}
    for name in names:
        try:
            found[name] = version(name)
        except PackageNotFoundError:
            found[name] = "not installed"
    return found


def host() -> dict[str, str]:
    """The Python version and platform string."""
    return {"python": platform.python_version(), "platform": platform.platform()}

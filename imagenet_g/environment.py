"""Where numbers and bytes came from: the host, the device, and the versions of the packages involved."""

from __future__ import annotations

import platform
from collections.abc import Iterable
from importlib.metadata import PackageNotFoundError, version

from imagenet_g import __version__
from imagenet_g.devices import device_name


def package_versions(names: Iterable[str]) -> dict[str, str]:
    """Installed version of each distribution, or 'not installed'."""
    found = {}
    for name in names:
        try:
            found[name] = version(name)
        except PackageNotFoundError:
            found[name] = "not installed"
    return found


def environment(device: str, packages: Iterable[str]) -> dict[str, str]:
    """The record written beside results and releases: Python, platform, this package's version, the given
    packages' versions, the device and the hardware behind it."""
    return {
        "python": platform.python_version(),
        "platform": platform.platform(),
        "imagenet-g": __version__,
        **package_versions(packages),
        "device": device,
        "hardware": device_name(device),
    }

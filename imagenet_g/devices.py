"""One device picker for every job: ``auto`` -> cuda, else mps, else cpu; explicit names are checked."""

from __future__ import annotations

import re

from imagenet_g.errors import ImagenetGError, unknown

_DEVICE_CHOICES = ("auto", "cpu", "cuda", "cuda:N", "mps")
_DEVICE = re.compile(r"auto|cpu|mps|cuda(:\d+)?")


def check_device(requested: str | None = "auto") -> str | None:
    """A device name in one of the forms we take (``_DEVICE_CHOICES``), checked without importing torch; whether the
    device exists here is ``pick_device``'s question."""
    if requested is not None and not _DEVICE.fullmatch(requested):
        raise unknown("device", requested, _DEVICE_CHOICES)
    return requested


def pick_device(requested: str | None = "auto") -> str:
    """The device to run on, as torch spells it; raises when the requested one does not exist here."""
    check_device(requested)
    import torch

    mps = getattr(torch.backends, "mps", None)
    mps_available = bool(mps and mps.is_available())
    if requested in (None, "auto"):
        if torch.cuda.is_available():
            return "cuda"
        return "mps" if mps_available else "cpu"
    device = torch.device(requested)
    if device.type == "cuda" and not torch.cuda.is_available():
        raise ImagenetGError(f"device {requested!r} is not available here (torch sees no CUDA)",
                             fix="set {device} to cpu or auto")
    if device.type == "mps" and not mps_available:
        raise ImagenetGError(f"device {requested!r} is not available here (no MPS)", fix="set {device} to cpu or auto")
    return str(device)


def device_name(device: str) -> str:
    """The hardware behind ``device``: the GPU's name for cuda, else the machine type."""
    import platform

    if device.startswith("cuda"):
        import torch

        return torch.cuda.get_device_name(device)
    return platform.machine()

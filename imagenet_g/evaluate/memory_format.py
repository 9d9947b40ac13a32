"""channels_last or not, decided by measurement on the device, once per model and machine.

The memory layout changes speed a lot and the numbers a little (float sums in another order, ~1e-7 on the
logits): on CPU channels_last roughly halves a depthwise network's speed and slows ViTs, while ResNets gain
10-20% (measured here; see the README). So each model is timed in both layouts on a small batch and the
faster one is used only when it is more than 10% faster. The decision is kept in
``<cache>/memory-format.json`` keyed by the model's architecture and parameter shapes, input size, device,
torch version and precision, so later runs on the same machine reuse it and give identical numbers.
"""

from __future__ import annotations

import hashlib
import json
import logging
import time
from collections.abc import Sequence
from pathlib import Path

import torch

from imagenet_g.files import atomic_write_text

_DECISIONS_FILE = "memory-format.json"
_log = logging.getLogger(__name__)


def _sync(dev: torch.device) -> None:
    if dev.type == "cuda":
        torch.cuda.synchronize(dev)


def _channels_last_is_faster(module, input_size: Sequence[int], dev: torch.device, autocast) -> bool:
    """Time a batch of 2 in both layouts (interleaved, best of 3 each): True if channels_last is >10% faster."""
    x = torch.zeros(2, *input_size, device=dev)
    best = {False: float("inf"), True: float("inf")}
    with torch.inference_mode(), autocast:
        for _ in range(3):
            for cl in (False, True):
                fmt = torch.channels_last if cl else torch.contiguous_format
                module.to(memory_format=fmt)
                xx = x.contiguous(memory_format=fmt)
                _sync(dev)
                start = time.perf_counter()
                module(xx)
                _sync(dev)
                best[cl] = min(best[cl], time.perf_counter() - start)
    return best[True] < 0.9 * best[False]


def _decision_key(module, input_size: Sequence[int], dev: torch.device, precision: str) -> str:
    """What the layout decision depends on: architecture (class and parameter shapes), input, device, versions."""
    shapes = hashlib.sha256(repr([(k, tuple(v.shape)) for k, v in module.state_dict().items()]).encode()).hexdigest()
    hardware = torch.cuda.get_device_name(dev) if dev.type == "cuda" else dev.type
    return "|".join([f"{type(module).__module__}.{type(module).__qualname__}", shapes[:16],
                     "x".join(map(str, input_size)), hardware, torch.__version__, precision])


def choose_channels_last(module, input_size: Sequence[int], dev: torch.device, precision: str, autocast,
                         cache_dir: Path) -> bool:
    """The layout decision for ``module`` on ``dev``: from the decisions file, else measured and stored there."""
    path = Path(cache_dir) / _DECISIONS_FILE
    key = _decision_key(module, input_size, dev, precision)
    try:
        decisions = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        decisions = {}
    if not isinstance(decisions, dict) or not isinstance(decisions.get(key), bool):
        faster = _channels_last_is_faster(module, input_size, dev, autocast)
        decisions = {**(decisions if isinstance(decisions, dict) else {}), key: faster}
        try:
            atomic_write_text(path, json.dumps(decisions, indent=1, sort_keys=True) + "\n")
        except OSError as exc:  # a read-only cache folder: the measurement still holds for this run
            _log.warning("cannot keep the memory-format decision in %s: %s", path, exc)
        _log.info("memory format of %s on %s measured: %s", type(module).__name__, dev,
                  "channels_last" if faster else "contiguous")
    return decisions[key]

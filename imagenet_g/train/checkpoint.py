"""Checkpoints as safetensors, written atomically (temp file + rename), so a kill never leaves a broken one.

``last.safetensors`` is everything a resume needs in one file: model (and EMA) weights, optimizer state, RNG
states as tensors; position, scheduler, grad-scaler state and the metrics so far as JSON metadata. The final
``model.safetensors`` is the plain state dict (loadable by ``timm.models.load_checkpoint``).
"""

from __future__ import annotations

import json
import random
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch

from imagenet_g.errors import OutputError
from imagenet_g.files import atomic_path

LAST = "last.safetensors"
FINAL = "model.safetensors"


@dataclass
class Position:
    """Where training stands: the next epoch and batch to run, and the running sums of the open epoch."""

    epoch: int = 0
    batch: int = 0
    step: int = 0
    loss_sum: float = 0.0
    samples: int = 0
    skipped: int = 0  # unreadable images skipped so far in the open epoch
    seconds: float = 0.0
    history: list[dict[str, Any]] = field(default_factory=list)


def _save(tensors: dict[str, torch.Tensor], metadata: dict[str, str], path: Path) -> None:
    from safetensors.torch import save_file

    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        with atomic_path(path) as tmp:
            save_file({k: v.detach().cpu().contiguous() for k, v in tensors.items()}, str(tmp), metadata)
    except OSError as exc:
        raise OutputError(f"cannot write checkpoint {path}: {exc.strerror or exc} (the previous one is kept)",
                          fix="free space, or set {out} to another folder and start over") from None


def save_weights(state_dict: dict[str, torch.Tensor], path: Path, metadata: dict[str, str] | None = None) -> None:
    """A plain state dict as safetensors (tied tensors are stored once each under their own name)."""
    _save({k: v.clone() for k, v in state_dict.items()}, metadata or {}, path)


def _rng_state() -> tuple[dict[str, torch.Tensor], dict[str, Any]]:
    tensors = {"rng.torch": torch.get_rng_state()}
    if torch.cuda.is_available():
        tensors.update({f"rng.cuda.{i}": s for i, s in enumerate(torch.cuda.get_rng_state_all())})
    kind, keys, pos, has_gauss, gauss = np.random.get_state()
    tensors["rng.numpy"] = torch.from_numpy(np.asarray(keys, dtype=np.uint32).view(np.int32).copy())
    return tensors, {"numpy": [kind, int(pos), int(has_gauss), float(gauss)], "python": random.getstate()}


def _restore_rng(tensors: dict[str, torch.Tensor], meta: dict[str, Any]) -> None:
    torch.set_rng_state(tensors["rng.torch"])
    cuda = [tensors[k] for k in sorted(k for k in tensors if k.startswith("rng.cuda."))]
    if cuda and torch.cuda.is_available():
        torch.cuda.set_rng_state_all(cuda)
    kind, pos, has_gauss, gauss = meta["numpy"]
    np.random.set_state((kind, tensors["rng.numpy"].numpy().view(np.uint32), pos, has_gauss, gauss))
    version, state, gauss_next = meta["python"]
    random.setstate((version, tuple(state), gauss_next))


def _optimizer_split(state: dict) -> tuple[dict[str, torch.Tensor], dict[str, Any]]:
    tensors, scalars = {}, {}
    for pid, values in state["state"].items():
        for name, value in values.items():
            if isinstance(value, torch.Tensor):
                tensors[f"optimizer.{pid}.{name}"] = value
            else:
                scalars[f"{pid}.{name}"] = value
    return tensors, {"param_groups": state["param_groups"], "scalars": scalars}


def _optimizer_join(tensors: dict[str, torch.Tensor], meta: dict[str, Any]) -> dict:
    state: dict[int, dict[str, Any]] = {}
    for key, value in tensors.items():
        if key.startswith("optimizer."):
            _, pid, name = key.split(".", 2)
            state.setdefault(int(pid), {})[name] = value
    for key, value in meta["scalars"].items():
        pid, name = key.split(".", 1)
        state.setdefault(int(pid), {})[name] = value
    return {"state": state, "param_groups": meta["param_groups"]}


def save_training_state(
    path: Path, model: torch.nn.Module, optimizer, scheduler, scaler, ema, position: Position
) -> None:
    """Everything a resume needs, in one atomically written file."""
    tensors = {f"model.{k}": v for k, v in model.state_dict().items()}
    if ema is not None:
        tensors.update({f"ema.{k}": v for k, v in ema.module.state_dict().items()})
    opt_tensors, opt_meta = _optimizer_split(optimizer.state_dict())
    rng_tensors, rng_meta = _rng_state()
    tensors.update(opt_tensors)
    tensors.update(rng_tensors)
    metadata = {
        "position": json.dumps(position.__dict__),
        "optimizer": json.dumps(opt_meta),
        "scheduler": json.dumps(scheduler.state_dict()),
        "scaler": json.dumps(scaler.state_dict()),
        "rng": json.dumps(rng_meta),
    }
    _save(tensors, metadata, path)


def load_training_state(path: Path, model: torch.nn.Module, optimizer, scheduler, scaler, ema) -> Position:
    """Restore what ``save_training_state`` wrote, in place; returns the position to continue from."""
    from safetensors import safe_open
    from safetensors.torch import load_file

    tensors = load_file(str(path))
    with safe_open(str(path), "pt") as handle:
        meta = {k: json.loads(v) for k, v in handle.metadata().items()}
    model.load_state_dict({k[6:]: v for k, v in tensors.items() if k.startswith("model.")}, strict=True)
    if ema is not None:
        ema.module.load_state_dict({k[4:]: v for k, v in tensors.items() if k.startswith("ema.")}, strict=True)
    optimizer.load_state_dict(_optimizer_join(tensors, meta["optimizer"]))
    scheduler.load_state_dict(meta["scheduler"])
    if meta["scaler"]:
        scaler.load_state_dict(meta["scaler"])
    _restore_rng(tensors, meta["rng"])
    return Position(**meta["position"])

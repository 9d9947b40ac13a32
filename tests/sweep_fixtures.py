"""Sweep folders made from chosen top-1 values (no model is run), for the tests of what reads a sweep: compare, the
board, the bad-input suite."""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path

from imagenet_g.results import DatasetResult, EvalResult, ModelInfo
from imagenet_g.sweep.folder import ModelRecord, open_folder, write_record


def write_sweep(folder: Path, release: str, top1: dict[str, float], failed: tuple[str, ...] = ()) -> Path:
    """The sweep of ``release`` in ``folder``: each model of ``top1`` scored with that ImageNet-G top-1 (its results
    file and record), each of ``failed`` recorded as failed."""
    open_folder(folder, release)
    for model_id, acc in top1.items():
        result = EvalResult(
            model=ModelInfo(id=model_id, source="timm", pretrained=True, preprocess={}),
            datasets={"imagenet-g": DatasetResult(name="imagenet-g", version=release, source="/d", checksum="c" * 64,
                                                  classes="imagenet-1k", top1=acc, top5=min(100.0, acc + 10),
                                                  images=5000)},
            environment={}, precision="fp32", created=datetime(2026, 1, 1, tzinfo=timezone.utc), complete=True)
        result.write(folder / f"{model_id}.json")
        write_record(folder, ModelRecord(id=model_id, status="scored", asked={}))
    for model_id in failed:
        write_record(folder, ModelRecord(id=model_id, status="failed", reason="out of memory", asked={}))
    return folder

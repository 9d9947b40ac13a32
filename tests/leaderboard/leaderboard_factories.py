"""Submissions built in code: eval results with chosen accuracies, written under a leaderboard root."""

from __future__ import annotations

import json
from datetime import datetime, timezone
from pathlib import Path

from imagenet_g.leaderboard.submit import submission_json
from imagenet_g.leaderboard.schema import Submission
from imagenet_g.results import DatasetResult, EvalResult, ModelInfo

SPEC_HASH = "a" * 64
CLASSES = {
    "val-on-imagenet-r-classes": "imagenet-r-200",
    "imagenet-r": "imagenet-r-200",
    "val-on-imagenet-a-classes": "imagenet-a-200",
    "imagenet-a": "imagenet-a-200",
    "val-on-objectnet-classes": "objectnet-113",
    "objectnet": "objectnet-113",
}


def make_result(model_id: str, top1: dict[str, float], release: str = "v1", checksum: str = SPEC_HASH) -> EvalResult:
    """An eval result with the given top-1 per dataset (top-5 = top-1 + 10, capped)."""
    datasets = {
        name: DatasetResult(
            name=name,
            version=release if name == "imagenet-g" else None,
            source=f"/data/{name}",
            checksum=checksum if name == "imagenet-g" else None,
            classes=CLASSES.get(name, "imagenet-1k"),
            top1=acc,
            top5=min(100.0, acc + 10),
            images=1000,
        )
        for name, acc in top1.items()
    }
    return EvalResult(
        model=ModelInfo(id=model_id, source="timm", pretrained=True, preprocess={"crop_pct": 0.875}),
        datasets=datasets,
        environment={"imagenet_g": "0.1.0"},
        precision="fp32",
        created=datetime(2026, 1, 1, tzinfo=timezone.utc),
        complete=True,
    )


def make_submission(
    model_id: str, top1: dict[str, float], release: str = "v1", checksum: str = SPEC_HASH, **meta
) -> Submission:
    fields = {"name": model_id, "category": "real", "release": release, **meta}
    return Submission(result=make_result(model_id, top1, release, checksum), **fields)


def write_submission(root: Path, sub: Submission, slug: str | None = None) -> Path:
    path = root / "submissions" / sub.release / f"{slug or sub.slug}.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(submission_json(sub), encoding="utf-8")
    return path


def edit_json(path: Path, edit) -> Path:
    """Apply ``edit(dict)`` to a JSON file in place (to make a bad submission)."""
    data = json.loads(path.read_text(encoding="utf-8"))
    edit(data)
    path.write_text(json.dumps(data), encoding="utf-8")
    return path


# Three standard models on an exact line imagenet-g = 0.5 * imagenet + 10, plus one model 7 pp above it.
STANDARD = {"std-a": (60.0, 40.0), "std-b": (70.0, 45.0), "std-c": (80.0, 50.0)}

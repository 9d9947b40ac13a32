"""Time `build_leaderboard` on a synthetic board: N entries with every natural shift set, 1000 bootstrap resamples.

    python benchmark/leaderboard_build.py [N]

Entries are random but plausible accuracies (written to a temp folder); the numbers only exercise the code.
"""

from __future__ import annotations

import sys
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path

import numpy as np

from imagenet_g.leaderboard import ReleaseCatalog, Submission, build_leaderboard
from imagenet_g.leaderboard.submit import submission_json
from imagenet_g.results import DatasetResult, EvalResult, ModelInfo

DATASETS = ("imagenet", "imagenet-g", "imagenet-v2", "imagenet-sketch", "imagenet-r", "val-on-imagenet-r-classes",
            "imagenet-a", "val-on-imagenet-a-classes", "objectnet", "val-on-objectnet-classes")


def synthetic_entry(i: int, rng: np.random.Generator) -> Submission:
    top1 = {name: float(rng.uniform(20, 90)) for name in DATASETS}
    datasets = {
        name: DatasetResult(name=name, version="v1" if name == "imagenet-g" else None, source=f"/data/{name}",
                            checksum="0" * 64 if name == "imagenet-g" else None, classes="imagenet-1k",
                            top1=acc, top5=min(100.0, acc + 10), images=1000)
        for name, acc in top1.items()
    }
    result = EvalResult(model=ModelInfo(id=f"model-{i:04d}", source="timm", pretrained=True, preprocess={}),
                        datasets=datasets, environment={}, created=datetime(2026, 1, 1, tzinfo=timezone.utc), complete=True)
    return Submission(name=f"Model {i}", release="v1", category="real", is_standard=i % 3 == 0, result=result)


def main(n: int) -> None:
    rng = np.random.default_rng(0)
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "leaderboard"
        for i in range(n):
            sub = synthetic_entry(i, rng)
            path = root / "submissions" / "v1" / f"{sub.slug}.json"
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(submission_json(sub), encoding="utf-8")
        catalog = ReleaseCatalog(known=frozenset({"v1"}), built_hashes={"v1": "0" * 64})
        for bootstrap in (0, 1000):
            start = time.perf_counter()
            out = build_leaderboard(root, catalog, bootstrap=bootstrap)
            seconds = time.perf_counter() - start
            size = sum(p.stat().st_size for p in (out.json_path, out.markdown_path, out.html_path))
            print(f"{n} entries, bootstrap={bootstrap}: {seconds:.2f} s ({seconds / n * 1000:.1f} ms/entry), "
                  f"{size / 1e6:.2f} MB written")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 200)

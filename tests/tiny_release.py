"""The one helper for tests that need a built release (eval, leaderboard, train): a real release, written by the
package's own builder from the shipped smoke spec cut down, so it passes ``imagenet-g verify``."""

from __future__ import annotations

from pathlib import Path

import yaml

from imagenet_g.release import BuildReport, BuildRequest, build_release, load_release

CLASSES = (0, 6, 658)  # the default: one class in no subset, one in R/A-200, one in R/A-200 and ObjectNet


def build_tiny_release(root: Path, version: str = "smoke", classes: tuple[int, ...] = CLASSES,
                       splits: dict[str, int] | None = None, safety_checker: bool = False) -> BuildReport:
    """Build ``root/imagenet-g/<version>``: ``classes`` x ``splits`` (images per class per split; default 2 test
    images) at 32 px, 4 rows per shard, by the tiny offline generator (its safety checker run as a classifier when
    asked: the ``nsfw`` column). The spec, and the lock the build writes, go to ``root/specs/<version>``."""
    data = load_release("smoke").spec.model_dump(mode="json")
    data["plan"].update(classes=list(classes), splits=splits or {"test": 2})
    data["generator"].update(width=32, height=32, safety_checker=safety_checker)
    data["output"]["rows_per_shard"] = 4
    folder = root / "specs" / version
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "spec.yaml").write_text(yaml.safe_dump(data, sort_keys=False))
    return build_release(BuildRequest(version, dataset_dir=root / "imagenet-g", specs_dir=root / "specs", progress=False))

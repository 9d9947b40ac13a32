"""Helpers of the run tests (a module of its own: test folders' conftest modules share one name)."""

from __future__ import annotations

import json
from pathlib import Path


def shard_checksums(version_dir: Path) -> dict[str, str]:
    """{shard file: sha256} of a built version, from its manifest (only when complete)."""
    manifest = json.loads((version_dir / "manifest.json").read_text())
    assert manifest["complete"]
    return {s["file"]: s["sha256"] for split in manifest["splits"].values() for s in split["shards"]}

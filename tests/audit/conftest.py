"""Fixtures of the audit tests: a data root with a release (planted problems), ImageNet val and ImageNet-R."""

from __future__ import annotations

from pathlib import Path

import pytest
from audit_fixtures import write_folder, write_release


@pytest.fixture(scope="session")
def audit_root(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("audit-data")
    write_folder(root / "imagenet" / "val", seed=1)
    write_folder(root / "imagenet-r", seed=2, classes=(6, 658))  # 2 of the 3 classes are ImageNet-R classes
    write_release(root, "t1", seed=7, reference=root / "imagenet" / "val")
    write_release(root, "t2", seed=8, plant=False)  # nothing planted
    return root

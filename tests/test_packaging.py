"""The wheel built from this checkout holds what an installed package needs, and runs from an install."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    """The wheel of a copy of the checkout (building writes build/ and *.egg-info beside the sources)."""
    src = tmp_path_factory.mktemp("src") / "imagenet-g"
    shutil.copytree(REPO, src, ignore=shutil.ignore_patterns(
        ".git", ".venv", "__pycache__", "*.egg-info", "build", "dist", "imagenet-g", "results", ".pytest_cache"))
    out = tmp_path_factory.mktemp("wheel")
    done = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "--no-index", "-q", str(src),
         "-w", str(out)], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    (found,) = out.glob("imagenet_g-*.whl")
    return found


def test_wheel_holds_specs_data_site_assets_and_license(wheel):
    names = set(zipfile.ZipFile(wheel).namelist())
    shipped = {p.relative_to(REPO).as_posix() for folder in ("imagenet_g/releases", "imagenet_g/data",
                                                             "imagenet_g/recipes", "imagenet_g/leaderboard/site")
               for p in (REPO / folder).rglob("*") if p.is_file() and "__pycache__" not in p.parts}
    assert {"imagenet_g/releases/smoke/spec.yaml", "imagenet_g/releases/smoke/spec.lock",
            "imagenet_g/releases/v1/spec.yaml", "imagenet_g/leaderboard/site/index.html",
            "imagenet_g/data/imagenet_classes.tsv", "imagenet_g/py.typed"} <= names
    assert shipped <= names, sorted(shipped - names)
    assert any(n.endswith(".dist-info/licenses/LICENSE") for n in names)
    assert not any(n.startswith(("tests/", "benchmark/", "leaderboard/")) for n in names)
    (points,) = [n for n in names if n.endswith(".dist-info/entry_points.txt")]
    # the model source behind train:<run>/<arch> ids is found through this metadata (imagenet_g.evaluate.sources)
    assert "[imagenet_g.model_sources]\ntrain = imagenet_g.train.trained:load_source\n" in \
        zipfile.ZipFile(wheel).read(points).decode()


def test_installed_wheel_lists_builds_and_verifies_smoke(wheel, tmp_path):
    target = tmp_path / "site"
    done = subprocess.run([sys.executable, "-m", "pip", "install", "--no-deps", "--no-index", "-q", "--target",
                           str(target), str(wheel)], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "IMAGENET_G_SPECS")}
    env["PYTHONPATH"] = str(target)  # the installed copy, not this checkout (dependencies from this venv)

    def run(*args: str) -> str:
        code = "import imagenet_g, sys; print(imagenet_g.__file__); from imagenet_g.cli import main; main()"
        done = subprocess.run([sys.executable, "-c", code, *args], capture_output=True, text=True, timeout=300,
                              env=env, cwd=tmp_path)
        assert done.returncode == 0, done.stderr[-2000:]
        where, *out = done.stdout.splitlines()
        assert where.startswith(str(target))
        return "\n".join(out)

    assert '"paper-imagenet100"' in run("recipes", "--json")  # the training recipes ship too
    listed = run("releases", "--json")
    assert '"version": "smoke"' in listed and '"version": "v1"' in listed
    run("build", "--release", "smoke", "--dataset-dir", "imagenet-g", "--json")  # its committed lock holds
    assert "smoke: OK, 5 shards, 20 rows" in run("verify", "--release", "smoke", "--dataset-dir", "imagenet-g")

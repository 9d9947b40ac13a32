"""Commands that need no model start without importing torch, timm, open_clip or diffusers."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

HEAVY = ("torch", "timm", "open_clip", "diffusers", "transformers")
REPO = Path(__file__).resolve().parents[1]
SUBMISSION = REPO / "leaderboard" / "submissions" / "smoke" / "resnet18.json"

# Runs the CLI in a fresh interpreter, then prints the heavy modules that got imported.
PROBE = """
import sys
from imagenet_g.cli import main
try:
    main(sys.argv[1:])
except SystemExit as exc:
    code = exc.code
print("EXIT", code, "HEAVY", sorted(m for m in {heavy} if m in sys.modules))
"""


@pytest.mark.parametrize(
    "args",
    [
        ["--version"],
        ["releases"],
        ["prompts", "--release", "smoke", "--limit", "2"],
        ["verify", "--release", "smoke", "--dataset-dir", "{tmp}/none"],
        ["data", "--data-root", "{tmp}"],
        ["leaderboard", "validate", str(SUBMISSION)],
        ["leaderboard", "show", "--root", str(REPO / "leaderboard")],
        ["recipes"],
        ["models", "--set", "testbed-standard"],  # parameter counts from timm's table, no network built
        ["models", "--set", "timm_in1k"],  # a one-line error naming the set it meant
    ],
    ids=lambda args: " ".join(args[:2]),
)
def test_no_model_commands_import_no_model_library(args, tmp_path):
    argv = [a.replace("{tmp}", str(tmp_path)) for a in args]
    done = subprocess.run([sys.executable, "-c", PROBE.format(heavy=HEAVY), *argv],
                          capture_output=True, text=True, timeout=120, cwd=tmp_path)
    last = done.stdout.strip().splitlines()[-1]
    assert last.startswith("EXIT") and last.endswith("HEAVY []"), (last, done.stderr[-1000:])
    expected = 2 if args[0] == "verify" or "timm_in1k" in args else 0  # one-line errors
    assert last.split()[1] in (str(expected), "None" if expected == 0 else str(expected)), done.stderr[-1000:]


def test_build_refuses_a_users_folder_before_importing_a_model_library(tmp_path):
    (tmp_path / "notes.txt").write_text("my notes\n")
    done = subprocess.run([sys.executable, "-c", PROBE.format(heavy=HEAVY), "build", "--release", "smoke",
                           "--dataset-dir", str(tmp_path)], capture_output=True, text=True, timeout=120, cwd=tmp_path)
    assert done.stdout.strip().splitlines()[-1] == "EXIT 2 HEAVY []", done.stderr[-1000:]
    assert "holds notes.txt and is not a release folder" in done.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["notes.txt"]


def test_audit_compare_imports_no_numpy(tmp_path):
    """Reading and comparing audit JSONs takes only the audit's schema (the package face loads names on use)."""
    argv = ["audit", "compare", str(tmp_path / "a"), str(tmp_path / "b")]
    done = subprocess.run([sys.executable, "-c", PROBE.format(heavy=(*HEAVY, "numpy")), *argv],
                          capture_output=True, text=True, timeout=120, cwd=tmp_path)
    assert done.stdout.strip().splitlines()[-1] == "EXIT 2 HEAVY []", done.stderr[-1000:]
    assert "does not exist" in done.stderr

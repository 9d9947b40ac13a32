"""The bad-input suite's harness: one table row (``Case``) per wrong command line, run against a working folder that
looks like a user's (their own README.md, weights and notes beside datasets, a built release and a leaderboard).

Every case must end with the documented exit code (2: a user error; 130: Ctrl-C; 143: SIGTERM), exactly one line on
stderr (``imagenet-g: error: ...``), no traceback anywhere, and the working folder exactly as it was: every file
byte-identical and nothing added. Most cases must fail before torch is imported (``heavy=False``):
``test_light_cases_import_no_model_library`` runs all of those in one fresh interpreter and checks it.

To add cases: write ``CASES = [case("eval --model resnt50", says="did you mean: resnet50"), ...]`` in a
``test_inputs_<command>.py`` beside this file and parametrize a test with ``run_case`` (see the existing files).
Paths in a case are relative to the working folder, whose contents ``build_workspace`` lists.
"""

from __future__ import annotations

import hashlib
import json
import shlex
import shutil
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import yaml

HEAVY = ("torch", "timm", "open_clip", "diffusers", "transformers")
ERROR_PREFIX = "imagenet-g: error: "
EMPTY_PATH = "an empty string is not a path"  # what a path option says of 
REPO = Path(__file__).resolve().parents[2]
# command groups whose second word names the command (`leaderboard add`, `audit compare`, `releases diff`)
GROUPS = ("leaderboard", "audit", "releases", "sweep")


@dataclass(frozen=True)
class Case:
    """One wrong command line and what it must give."""

    argv: tuple[str, ...]
    says: str = ""  # a piece of the one error line (case-sensitive), e.g. the flag or the close match
    code: int = 2
    heavy: bool = False  # may import torch before it fails: the check needs a model library

    @property
    def command(self) -> str:
        """The command the case runs: ``eval``, ``leaderboard add``, ``audit`` (the group itself)."""
        if self.argv[0] in GROUPS and len(self.argv) > 1 and not self.argv[1].startswith("-"):
            return f"{self.argv[0]} {self.argv[1]}"
        return self.argv[0]

    @property
    def id(self) -> str:
        return shlex.join(self.argv)


def case(command_line: str, says: str = "", code: int = 2, heavy: bool = False) -> Case:
    """A case written as a shell command line (quoting as in a shell: ``--out ''`` is an empty string)."""
    return Case(tuple(shlex.split(command_line)), says, code, heavy)


def ids(cases: list[Case]) -> list[str]:
    return [c.id for c in cases]


def counts(cases: list[Case]) -> Counter[str]:
    """Cases per command."""
    return Counter(c.command for c in cases)


# ---- the working folder --------------------------------------------------------------------------------------------

USER_FILES = {
    "README.md": b"# my project\n\nmy own notes; no tool may replace this file\n",
    "model.safetensors": bytes(range(256)) * 4,
    "notes.txt": b"a file where a folder belongs\n",
    "results/package.json": b'{"name": "not a results file"}\n',
    "recipe.yaml": b"model:\n  arch: resnet18\nschedule: [not, a, mapping]\n",
    "bad.json": b'{"truncated": ',
    "models/ok.txt": b"test_vit\n",
    "models/typo.txt": b"# a misspelt timm name\ntest_resnt\n",
    "models/empty.txt": b"# no model yet\n",
    "models/dup.txt": b"test_vit\ntest_vit --input-size 192\n",
    "models/bad-option.txt": b"test_vit --crop 0.9\n",
    "reports/compare-smoke-imagenet-g.md": b"# my own comparison\n",
}
# sweeps/<name>: sweep folders written from chosen ImageNet-G top-1 values (release, models' top-1, failed models)
SWEEPS = {
    "smoke": ("smoke", {"m1": 10.0, "m2": 20.0, "m3": 30.0}, ()),
    "v1": ("v1", {"m1": 15.0, "m2": 25.0, "m3": 20.0}, ()),
    "failed": ("v1", {}, ("m1",)),
}


def build_workspace(root: Path) -> Path:
    """A user's working folder: ``USER_FILES``; ``empty/`` (a folder with nothing in it); ``data/`` with every
    evaluation set in its publisher's layout and a built tiny release (``data/imagenet-g/smoke``, its spec in
    ``data/specs``); ``leaderboard/submissions`` (a copy of the committed ones); ``results/resnet18.json`` (the
    results file inside the smoke submission); ``badspecs/bidi/spec.yaml`` (the smoke spec with a bidi override in
    its description); the sweep folders of ``SWEEPS`` under ``sweeps/``, ``sweeps/v1`` with a user's file where
    ``sweep compare`` would write."""
    from data_fixtures import build_data_root
    from sweep_fixtures import write_sweep

    from imagenet_g.release import load_release

    for name, content in USER_FILES.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(content)
    (root / "empty").mkdir()
    build_data_root(root / "data")
    for name, (release, top1, failed) in SWEEPS.items():
        write_sweep(root / "sweeps" / name, release, top1, failed)
    # a file of the user's where a comparison would go, in a sweep's folder
    (root / "sweeps" / "v1" / "compare-smoke-imagenet-g.md").write_bytes(USER_FILES["reports/compare-smoke-imagenet-g.md"])
    shutil.copytree(REPO / "leaderboard" / "submissions", root / "leaderboard" / "submissions")
    submission = json.loads((root / "leaderboard" / "submissions" / "smoke" / "resnet18.json").read_text())
    (root / "results" / "resnet18.json").write_text(json.dumps(submission["result"]))
    spec = load_release("smoke").spec.model_dump(mode="json")
    spec["description"] = "a tiny release \u202egnp.exe"
    (root / "badspecs" / "bidi").mkdir(parents=True)
    (root / "badspecs" / "bidi" / "spec.yaml").write_text(yaml.safe_dump(spec))
    return root


def snapshot(root: Path) -> dict[str, str]:
    """Every file and folder under ``root``: relative path -> sha256 of its bytes ("dir" for folders)."""
    found = {}
    for path in sorted(root.rglob("*")):
        key = str(path.relative_to(root))
        found[key] = "dir" if path.is_dir() else hashlib.sha256(path.read_bytes()).hexdigest()
    return found


def changes(before: dict[str, str], after: dict[str, str]) -> dict[str, list[str]]:
    """What differs between two snapshots: files changed, removed, added."""
    return {
        "changed": [k for k in before if k in after and before[k] != after[k]],
        "removed": [k for k in before if k not in after],
        "added": [k for k in after if k not in before],
    }


def problems(result_code: int, stdout: str, stderr: str, expected: Case) -> list[str]:
    """What is wrong with how a command ended, against the case (empty: nothing)."""
    found = []
    if result_code != expected.code:
        found.append(f"exit code {result_code}, expected {expected.code}")
    lines = stderr.splitlines()
    if len(lines) != 1 or not stderr.endswith("\n"):
        found.append(f"{len(lines)} stderr lines, expected exactly one: {stderr[-800:]!r}")
    elif not lines[0].startswith(ERROR_PREFIX):
        found.append(f"the stderr line does not start with {ERROR_PREFIX!r}: {lines[0]!r}")
    elif expected.says not in lines[0]:
        found.append(f"the error line does not say {expected.says!r}: {lines[0]!r}")
    if "Traceback" in stdout + stderr:
        found.append("a traceback was printed")
    return found

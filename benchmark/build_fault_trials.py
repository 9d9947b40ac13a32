"""Random crash trials of `imagenet-g build`: kill a build at a random moment, resume it, compare the bytes.

    python benchmark/build_fault_trials.py --trials 50            # smoke release, CPU
    python benchmark/build_fault_trials.py --trials 20 --seed 7 --keep /tmp/trials

Each trial starts `imagenet-g build` (a forked copy of this process running the CLI, so the libraries are
imported once), sends it SIGKILL or SIGTERM (chosen at random) at a random moment within the measured
duration of an uninterrupted build, and checks how it ended (a SIGTERM must give exit code 143 or a
finished build). Then it reruns the same command, and the trial counts as identical when the rerun exits
0, every shard, the manifest's shard records and the dataset card equal the uninterrupted build's bytes,
`verify` passes and no claim or temp file is left. Prints one line per trial and ``identical: K/N``.
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import signal
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("CI", "1")  # no progress bar

from imagenet_g.cli import main  # noqa: E402
from imagenet_g.layout import CARD_FILE, MANIFEST_FILE  # noqa: E402


def preload() -> None:
    """Import what a build needs once, here, so that each forked build starts in milliseconds, not seconds."""
    import diffusers  # noqa: F401
    from diffusers import AutoPipelineForImage2Image, AutoPipelineForText2Image  # noqa: F401
    from transformers import CLIPTextModel  # noqa: F401

    import imagenet_g.release  # noqa: F401
    import imagenet_g.release.run.registry  # noqa: F401


def start(argv: list[str]) -> int:
    """Fork a child that runs `imagenet-g ARGV` and exits with its exit code; returns the child's pid."""
    pid = os.fork()
    if pid == 0:  # the child: never return into the parent's code
        code = 1
        try:
            import torch

            torch.set_num_threads(1)  # OpenMP's thread pool does not survive fork; builds here use one thread
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, 1)
            os.dup2(devnull, 2)
            main(argv)
            code = 0
        except SystemExit as exc:
            code = exc.code if isinstance(exc.code, int) else 1
        finally:
            os._exit(code)
    return pid


def wait(pid: int) -> int:
    """The child's exit code, or -N when signal N killed it."""
    _, status = os.waitpid(pid, 0)
    return os.waitstatus_to_exitcode(status)


def run(argv: list[str]) -> int:
    return wait(start(argv))


def snapshot(out: Path, version: str) -> dict[str, bytes]:
    """What must be identical: every non-hidden file of the version folder except the manifest, the manifest's
    shard records, and the dataset card."""
    import json

    version_dir = out / version
    found = {p.name: p.read_bytes() for p in version_dir.iterdir() if p.is_file() and not p.name.startswith(".")}
    manifest = json.loads(found.pop(MANIFEST_FILE, b"{}") or b"{}")
    found["manifest:splits"] = json.dumps(manifest.get("splits"), sort_keys=True).encode()
    found["manifest:complete"] = json.dumps(manifest.get("complete")).encode()
    card = out / CARD_FILE
    found[CARD_FILE] = card.read_bytes() if card.is_file() else b""
    return found


def leftovers(out: Path, version: str) -> list[str]:
    """Hidden files (claims, temp files) left in the version folder."""
    return sorted(p.name for p in (out / version).iterdir() if p.name.startswith("."))


def main_trials() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trials", type=int, default=50)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--release", default="smoke")
    parser.add_argument("--keep", type=Path, default=None, help="keep the trial folders here (default: a temp dir)")
    parser.add_argument("--flags", default="", help="extra build flags, e.g. '--batch-size 2'")
    args = parser.parse_args()

    preload()
    root = args.keep or Path(tempfile.mkdtemp(prefix="imagenet-g-trials-"))
    root.mkdir(parents=True, exist_ok=True)

    def build_argv(out: Path) -> list[str]:
        return ["build", "--release", args.release, "--dataset-dir", str(out), *args.flags.split()]

    def verify_argv(out: Path) -> list[str]:
        return ["verify", "--release", args.release, "--dataset-dir", str(out)]

    reference = root / "reference"
    shutil.rmtree(reference, ignore_errors=True)
    began = time.perf_counter()
    code = run(build_argv(reference))
    duration = time.perf_counter() - began
    if code != 0:
        print(f"the uninterrupted build failed (exit {code})")
        return 1
    expected = snapshot(reference, args.release)
    print(f"reference build: {duration:.1f}s, {sum(1 for k in expected if k.endswith('.parquet'))} shards")

    rng = random.Random(args.seed)
    identical = 0
    for trial in range(args.trials):
        out = root / f"trial-{trial:03d}"
        shutil.rmtree(out, ignore_errors=True)
        sig = rng.choice((signal.SIGKILL, signal.SIGTERM))
        delay = rng.uniform(0.0, duration * 1.1)
        pid = start(build_argv(out))
        time.sleep(delay)
        try:
            os.kill(pid, sig)
        except ProcessLookupError:
            pass
        first = wait(pid)
        problems = []
        if sig == signal.SIGTERM and first not in (0, 128 + signal.SIGTERM):
            problems.append(f"SIGTERM gave exit {first}, expected 143 (or 0 when it had finished)")
        resumed = run(build_argv(out))
        if resumed != 0:
            problems.append(f"resume exit {resumed}")
        else:
            got = snapshot(out, args.release)
            differ = sorted(k for k in expected.keys() | got.keys() if expected.get(k) != got.get(k))
            if differ:
                problems.append(f"differs: {', '.join(differ)}")
            left = leftovers(out, args.release)
            if left:
                problems.append(f"left behind: {', '.join(left)}")
            if run(verify_argv(out)) != 0:
                problems.append("verify failed")
        identical += not problems
        name = signal.Signals(sig).name
        print(f"trial {trial:3d}: {name:7s} at {delay:5.2f}s (exit {first:4d}) -> "
              f"{'identical' if not problems else '; '.join(problems)}", flush=True)
        if not problems and args.keep is None:
            shutil.rmtree(out, ignore_errors=True)
    print(f"identical: {identical}/{args.trials}")
    if args.keep is None:
        shutil.rmtree(root, ignore_errors=True)
    return 0 if identical == args.trials else 1


if __name__ == "__main__":
    sys.exit(main_trials())

"""Helpers of the output-rule tests: another process holding an output's claim, and the one-line refusal."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

HOLDER = textwrap.dedent("""
    import sys, time
    from pathlib import Path
    from imagenet_g.claims import claimed
    with claimed(Path(sys.argv[1]), sys.argv[2]):
        print("held", flush=True)
        time.sleep(120)
""")


@contextmanager
def held_elsewhere(target: Path, what: str) -> Iterator[subprocess.Popen]:
    """Another live process holds the claim on ``target`` inside the block; it is killed (kill -9: its claim stays
    on disk, naming a dead process) when the block ends."""
    holder = subprocess.Popen([sys.executable, "-c", HOLDER, str(target), what], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "held"
        yield holder
    finally:
        holder.kill()
        holder.wait()
        holder.stdout.close()


def assert_refused(result, *needles: str) -> None:
    """A CLI result that is one error line (exit 2, no traceback) containing every needle."""
    assert result.exit_code == 2, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in result.stderr, result.stderr
    for needle in needles:
        assert needle in lines[0], lines[0]

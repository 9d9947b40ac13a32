"""Ray for every job: a malformed address is refused, starting Ray keeps the driver's SIGTERM handler."""

from __future__ import annotations

import sys

import pytest

from imagenet_g.errors import ClusterError

pytestmark = pytest.mark.ray


def test_malformed_address_is_refused():
    from imagenet_g.ray_cluster import _probe

    with pytest.raises(ClusterError, match="not auto or HOST:PORT"):
        _probe("headnode", 1.0)


def test_starting_ray_keeps_the_drivers_sigterm_handler(tmp_path):
    """ray.init replaces the driver's SIGTERM handler with a bare exit; the CLI's (stop like Ctrl-C, release
    claims, exit 143) must survive it. Run in a fresh interpreter, where connect() really starts Ray."""
    import subprocess

    code = (
        "import signal, sys\n"
        "import ray\n"
        "from imagenet_g.ray_cluster import connect\n"
        "def ours(signum, frame): pass\n"
        "signal.signal(signal.SIGTERM, ours)\n"
        "started = connect(None)\n"
        "kept = signal.getsignal(signal.SIGTERM) is ours\n"
        "ray.shutdown()\n"
        "sys.exit(0 if started and kept else 1)\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=240, cwd=tmp_path)
    assert done.returncode == 0, done.stderr[-2000:]

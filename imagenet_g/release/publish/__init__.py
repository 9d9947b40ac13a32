"""A built release for its readers: the dataset card (``card.py``) with each generator's license (``licenses.py``),
the catalog (``catalog.py``: every release at a glance with its estimated GPU time, and what differs between two),
verification (``verify.py``) and the Hub push (``push.py``).

Imports the spec, store and generate stages (init-image digests) and runs no build; the run stage's finalize
step writes the card (spec < store < generate < publish < run).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from imagenet_g.lazy import lazy_exports

if TYPE_CHECKING:
    from imagenet_g.release.publish.card import write_card
    from imagenet_g.release.publish.catalog import diff_releases, release_summaries
    from imagenet_g.release.publish.push import PushReport, PushRequest, push_release
    from imagenet_g.release.publish.verify import VerifiedRelease, verify_release

_HOMES = {
    "write_card": "card",
    "diff_releases": "catalog",
    "release_summaries": "catalog",
    "PushReport": "push",
    "PushRequest": "push",
    "push_release": "push",
    "VerifiedRelease": "verify",
    "verify_release": "verify",
}

__all__ = sorted(_HOMES)
__getattr__ = lazy_exports(__name__, _HOMES)

"""A built release on disk: the shard row schema (``schema.py``), the atomic shard writer (``writer.py``), the manifest
(``manifest.py``: what was built, merged between concurrent builds), the checks of a shard's rows against its plan
(``integrity.py``) and the claims that keep two jobs off one shard (``claims.py``).

Imports the spec stage only (spec < store < generate < publish < run).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from imagenet_g.lazy import lazy_exports

if TYPE_CHECKING:
    from imagenet_g.release.store.claims import acquire, claim_shards, release, remove_stale_temps, shard_claim_path
    from imagenet_g.release.store.integrity import unlisted_entries
    from imagenet_g.release.store.manifest import (
        BuildSettings,
        Manifest,
        ShardRecord,
        SplitRecord,
        manifest_turn,
        read_manifest,
        shard_problem,
        update_manifest,
        write_manifest,
    )
    from imagenet_g.release.store.schema import SPEC_HASH_KEY, release_features, shard_schema
    from imagenet_g.release.store.writer import write_shard

_HOMES = {
    "acquire": "claims",
    "claim_shards": "claims",
    "release": "claims",
    "remove_stale_temps": "claims",
    "shard_claim_path": "claims",
    "unlisted_entries": "integrity",
    "BuildSettings": "manifest",
    "Manifest": "manifest",
    "ShardRecord": "manifest",
    "SplitRecord": "manifest",
    "manifest_turn": "manifest",
    "read_manifest": "manifest",
    "shard_problem": "manifest",
    "update_manifest": "manifest",
    "write_manifest": "manifest",
    "SPEC_HASH_KEY": "schema",
    "release_features": "schema",
    "shard_schema": "schema",
    "write_shard": "writer",
}

__all__ = sorted(_HOMES)
__getattr__ = lazy_exports(__name__, _HOMES)

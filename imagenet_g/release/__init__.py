"""Make a release: spec -> prompt plan -> shard plan -> executor (local | ray) -> shards + manifest -> card.

Public API (loaded on first use, so that reading a spec does not import the build):
- ``load_release(version)`` / ``list_releases()``: a version's validated spec (``spec.py``; lock in ``lock.py``).
- ``plan_prompts(spec)``: every image's prompt, template and seed (pure; ``prompts.py``).
- ``build_release(BuildRequest) -> BuildReport``: the whole build, resumable (``builder.py``); job arrays and
  ``finalize_release`` in ``jobs.py``.
- ``verify_release`` (``verify.py``), ``push_release`` (``push.py``), ``write_card`` (``card.py``).
- ``read_manifest(version_dir) -> Manifest | None``: a built version's record (``manifest.py``).

Modules, bottom up: spec, lock, prompts, tiny (the offline generator), weights (what is loaded, the lock it
gives), pipeline (load + sample), fastpath, shard_plan, schema, shard (generate one shard), writer, manifest,
claims, executor / ray_executor / executors, batching, jobs, card, builder, verify, push.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from imagenet_g.lazy import lazy_exports

if TYPE_CHECKING:
    from imagenet_g.release.builder import BuildReport, BuildRequest, build_release
    from imagenet_g.release.card import write_card
    from imagenet_g.release.jobs import FinalizeReport, Share, finalize_release
    from imagenet_g.release.manifest import Manifest, read_manifest
    from imagenet_g.release.prompts import PromptRow, plan_prompts
    from imagenet_g.release.push import PushReport, PushRequest, push_release
    from imagenet_g.release.spec import ReleaseDefinition, ReleaseSpec, list_releases, load_release
    from imagenet_g.release.verify import VerifiedRelease, verify_release

_HOMES = {
    "BuildReport": "builder",
    "BuildRequest": "builder",
    "build_release": "builder",
    "write_card": "card",
    "FinalizeReport": "jobs",
    "Share": "jobs",
    "finalize_release": "jobs",
    "Manifest": "manifest",
    "read_manifest": "manifest",
    "PromptRow": "prompts",
    "plan_prompts": "prompts",
    "PushReport": "push",
    "PushRequest": "push",
    "push_release": "push",
    "ReleaseDefinition": "spec",
    "ReleaseSpec": "spec",
    "list_releases": "spec",
    "load_release": "spec",
    "VerifiedRelease": "verify",
    "verify_release": "verify",
}

__all__ = sorted(_HOMES)
__getattr__ = lazy_exports(__name__, _HOMES)

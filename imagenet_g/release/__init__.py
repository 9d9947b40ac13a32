"""Make a release: spec -> prompt plan -> shard plan -> executor (local | ray) -> shards + manifest -> card.

Public API (loaded on first use, so that reading a spec does not import the build):
- ``load_release(version)`` / ``list_releases()``: a version's validated spec; ``read_lock`` its lock.
- ``plan_prompts(spec)`` / ``iter_prompts``: every image's prompt, template and seed (pure).
- ``check_build_request(BuildRequest)``: every argument, before torch or a plan; ``build_release(BuildRequest) ->
  BuildReport``: the whole build, resumable (``builder.py``); ``RayExecutor``
  runs it on a Ray cluster, ``Share`` builds one job's part of a job array and ``finalize_release`` completes it.
- ``verify_release``, ``push_release``, ``write_card``; ``release_summaries`` / ``diff_releases`` (the catalog).
- ``read_manifest(version_dir) -> Manifest | None``: a built version's record.

Stages, bottom up, each a sub-package with its own face; imports between them point down only:
``spec`` (schema, lock, plans) < ``store`` (row schema, writer, manifest, integrity, claims) < ``generate``
(pipelines, conditioning, init images, weights, fast path, one shard) < ``publish`` (card, licenses, catalog,
verify, push) < ``run`` (executors, Ray, job arrays, batch-size probe); ``builder.py`` drives them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from imagenet_g.lazy import lazy_exports

if TYPE_CHECKING:
    from imagenet_g.release.builder import BuildReport, BuildRequest, build_release, check_build_request
    from imagenet_g.release.generate import WEIGHT_SUFFIXES
    from imagenet_g.release.publish import (
        PushReport,
        PushRequest,
        VerifiedRelease,
        diff_releases,
        push_release,
        release_summaries,
        verify_release,
        write_card,
    )
    from imagenet_g.release.run import FinalizeReport, RayExecutor, RayOptions, Share, finalize_release
    from imagenet_g.release.spec import (
        MAX_IMAGES,
        PromptRow,
        ReleaseDefinition,
        ReleaseSpec,
        iter_prompts,
        list_releases,
        list_versions,
        load_release,
        plan_prompts,
        read_lock,
        specs_dir,
    )
    from imagenet_g.release.store import Manifest, SplitRecord, read_manifest

_HOMES = {
    "BuildReport": "builder",
    "BuildRequest": "builder",
    "build_release": "builder",
    "check_build_request": "builder",
    "WEIGHT_SUFFIXES": "generate",
    "PushReport": "publish",
    "PushRequest": "publish",
    "VerifiedRelease": "publish",
    "diff_releases": "publish",
    "push_release": "publish",
    "release_summaries": "publish",
    "verify_release": "publish",
    "write_card": "publish",
    "FinalizeReport": "run",
    "RayExecutor": "run",
    "RayOptions": "run",
    "Share": "run",
    "finalize_release": "run",
    "MAX_IMAGES": "spec",
    "PromptRow": "spec",
    "ReleaseDefinition": "spec",
    "ReleaseSpec": "spec",
    "iter_prompts": "spec",
    "list_releases": "spec",
    "list_versions": "spec",
    "load_release": "spec",
    "plan_prompts": "spec",
    "read_lock": "spec",
    "specs_dir": "spec",
    "Manifest": "store",
    "SplitRecord": "store",
    "read_manifest": "store",
}

__all__ = sorted(_HOMES)
__getattr__ = lazy_exports(__name__, _HOMES)

"""The release's definition, read without torch: the spec's schema (``spec.py``), its lock (``lock.py``), the prompt
plan (``prompts.py``: every image's class, template, prompt and seed) and the shard plan (``shard_plan.py``).

The first floor of ``imagenet_g.release``: it imports no other stage (spec < store < generate < publish < run).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from imagenet_g.lazy import lazy_exports

if TYPE_CHECKING:
    from imagenet_g.release.spec.lock import InitImagesLock, Lock, lock_differences, read_lock, write_lock
    from imagenet_g.release.spec.prompts import PromptRow, iter_prompts, plan_prompts
    from imagenet_g.release.spec.shard_plan import ShardPlan, plan_shards
    from imagenet_g.release.spec.spec import (
        MAX_IMAGES,
        SPEC_FILE,
        GeneratorSpec,
        OutputSpec,
        ReleaseDefinition,
        ReleaseSpec,
        list_releases,
        list_versions,
        load_release,
        specs_dir,
    )

_HOMES = {
    "InitImagesLock": "lock",
    "Lock": "lock",
    "lock_differences": "lock",
    "read_lock": "lock",
    "write_lock": "lock",
    "PromptRow": "prompts",
    "iter_prompts": "prompts",
    "plan_prompts": "prompts",
    "ShardPlan": "shard_plan",
    "plan_shards": "shard_plan",
    "MAX_IMAGES": "spec",
    "SPEC_FILE": "spec",
    "GeneratorSpec": "spec",
    "OutputSpec": "spec",
    "ReleaseDefinition": "spec",
    "ReleaseSpec": "spec",
    "list_releases": "spec",
    "list_versions": "spec",
    "load_release": "spec",
    "specs_dir": "spec",
}

__all__ = sorted(_HOMES)
__getattr__ = lazy_exports(__name__, _HOMES)

"""Entries -> groups of models that are scored together: one pass over the images, a bounded number in memory.

Models are ordered by the pixel configuration timm's pretrained config gives them (input size, crop, interpolation:
what decides the decoded pixels), so that models sharing one land in the same group and the pass decodes each
image once for all of them; models of other sources (their transform is known only once loaded) come last, in
file order. The order is a hint: which models share a decoded batch is decided by eval from the loaded models.
Groups are cut from the whole set, not from what is left to do, so every job of an array agrees on them.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from imagenet_g.benchmarks import expand_names
from imagenet_g.sweep.model_sets import ModelEntry
from imagenet_g.sweep.request import SweepRequest


@dataclass(frozen=True)
class Group:
    """Models scored in one pass (position ``index`` in the sweep's groups)."""

    index: int
    entries: tuple[ModelEntry, ...]


def _pixel_hint(entry: ModelEntry) -> tuple | None:
    """(input size, crop pct, crop mode, interpolation) from timm's pretrained config and the entry's overrides;
    None for ids of other sources."""
    from timm.data import resolve_data_config
    from timm.models import get_pretrained_cfg

    from imagenet_g.evaluate import parse_model_id

    mid = parse_model_id(entry.id)
    cfg = get_pretrained_cfg(mid.name) if mid.source == "timm" else None
    if cfg is None:
        return None
    data = resolve_data_config(dict(entry.overrides), pretrained_cfg=cfg.to_dict(), use_test_size=True)
    return (tuple(data["input_size"]), data["crop_pct"], data.get("crop_mode") or "center", data["interpolation"])


def plan_groups(entries: Sequence[ModelEntry], group_size: int) -> list[Group]:
    """The available entries in groups of at most ``group_size``, models of one pixel configuration together."""
    available = [e for e in entries if e.available]
    hints = [_pixel_hint(e) for e in available]
    order = sorted(range(len(available)), key=lambda i: (hints[i] is None, repr(hints[i]), i))
    ordered = [available[i] for i in order]
    return [Group(k, tuple(ordered[start:start + group_size]))
            for k, start in enumerate(range(0, len(ordered), group_size))]


def asked(entry: ModelEntry, request: SweepRequest) -> dict[str, Any]:
    """The model's part of the request, as its record stores it (JSON values): a record answers an equal one."""
    datasets = sorted(expand_names(request.datasets)) if request.datasets else None
    fields: Mapping[str, Any] = {
        "overrides": dict(entry.overrides), "pretrained": request.pretrained, "precision": request.precision,
        "release": request.release, "datasets": datasets, "paths": dict(sorted(request.paths.items())),
        "v2_variant": request.v2_variant,
    }
    return json.loads(json.dumps(fields, sort_keys=True))

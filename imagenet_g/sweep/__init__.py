"""Sweep: score a model set on a release and the shift sets (locally, on Ray or as a job array), resumable, one
results file per model and a summary; compare two releases' sweeps."""

from __future__ import annotations

from typing import TYPE_CHECKING

from imagenet_g.lazy import lazy_exports

if TYPE_CHECKING:
    from imagenet_g.sweep.model_sets import MODEL_SETS, ModelEntry, read_model_file, resolve_models
    from imagenet_g.sweep.request import SweepRequest
    from imagenet_g.sweep.run import SweepReport, run_sweep

_HOMES = {
    "MODEL_SETS": "model_sets",
    "ModelEntry": "model_sets",
    "read_model_file": "model_sets",
    "resolve_models": "model_sets",
    "SweepRequest": "request",
    "SweepReport": "run",
    "run_sweep": "run",
}

__all__ = sorted(_HOMES)
__getattr__ = lazy_exports(__name__, _HOMES)

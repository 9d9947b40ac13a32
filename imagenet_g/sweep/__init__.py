"""Sweep: score a model set on a release and the shift sets (locally, on Ray or as a job array), resumable, one
results file per model and a summary; compare two releases' sweeps; enter a sweep on the leaderboard.

The public names below are loaded on first use, so that the CLI checks a sweep's arguments (``check_sweep_request``,
in the light ``request`` module) before torch is imported.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from imagenet_g.lazy import lazy_exports

if TYPE_CHECKING:
    from imagenet_g.sweep.compare import SweepComparison, check_comparison_output, compare_sweeps, write_comparison
    from imagenet_g.sweep.model_sets import (BASELINE_SET, MODEL_SETS, ModelEntry, model_set_summaries, read_model_file,
                                             resolve_models)
    from imagenet_g.sweep.params import ParamCount, count_params
    from imagenet_g.sweep.request import DEFAULT_GROUP_SIZE, EXECUTORS, SweepRequest, check_sweep_request
    from imagenet_g.sweep.run import SweepReport, run_sweep
    from imagenet_g.sweep.selection import ModelListing, ModelRow, filter_models, list_models
    from imagenet_g.sweep.submit import SweepSubmission, submit_sweep

_HOMES = {
    "SweepComparison": "compare",
    "check_comparison_output": "compare",
    "compare_sweeps": "compare",
    "write_comparison": "compare",
    "BASELINE_SET": "model_sets",
    "MODEL_SETS": "model_sets",
    "ModelEntry": "model_sets",
    "model_set_summaries": "model_sets",
    "read_model_file": "model_sets",
    "resolve_models": "model_sets",
    "ParamCount": "params",
    "count_params": "params",
    "DEFAULT_GROUP_SIZE": "request",
    "EXECUTORS": "request",
    "SweepRequest": "request",
    "check_sweep_request": "request",
    "SweepReport": "run",
    "run_sweep": "run",
    "ModelListing": "selection",
    "ModelRow": "selection",
    "filter_models": "selection",
    "list_models": "selection",
    "SweepSubmission": "submit",
    "submit_sweep": "submit",
}

__all__ = sorted(_HOMES)
__getattr__ = lazy_exports(__name__, _HOMES)

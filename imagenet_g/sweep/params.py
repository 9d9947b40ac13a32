"""Parameter counts of model ids without loading weights: from timm's own results table where it lists the model,
else by building the network on the meta device (shapes only: no memory, no weights, no download)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import cache

from imagenet_g.evaluate import parse_model_id
from imagenet_g.progress import quiet_root_logger
from imagenet_g.robustness import baseline_table

_TIMM_TABLE = "timm/results-imagenet.csv"  # timm's published results: param_count in millions per model
PUBLISHED, BUILT = "timm results table", "built on the meta device"


@dataclass(frozen=True)
class ParamCount:
    """A model's parameter count in millions and how it was found (``PUBLISHED`` or ``BUILT``)."""

    millions: float
    found: str


@cache
def _published() -> dict[str, float]:
    # the table writes thousands with a comma: "1,014.45"
    return {row["model"]: float(row["param_count"].replace(",", "")) for row in baseline_table(_TIMM_TABLE)
            if row["param_count"]}


def count_params(model_id: str) -> ParamCount | None:
    """The parameter count of a timm or open_clip model id; None for other sources, or where the network cannot be
    built here (an open_clip text tower from the Hugging Face Hub, offline)."""
    mid = parse_model_id(model_id)
    if mid.source == "timm":
        return _timm_params(mid.name)
    if mid.source == "open_clip":
        return _open_clip_params(mid.name)  # the pretrained tag does not change the network
    return None


@cache
def _timm_params(name: str) -> ParamCount | None:
    if name in _published():
        return ParamCount(_published()[name], PUBLISHED)
    import timm

    return _built(lambda: timm.create_model(name, pretrained=False))


@cache
def _open_clip_params(arch: str) -> ParamCount | None:
    import open_clip

    return _built(lambda: open_clip.create_model(arch, pretrained=None, device="meta"))


def _built(build: Callable[[], object]) -> ParamCount | None:
    import torch

    try:
        with torch.device("meta"), _skip_fills_mode(), quiet_root_logger():
            module = build()
    except (OSError, RuntimeError, ValueError, KeyError):  # a config the Hub must serve; a model meta cannot build
        return None
    return ParamCount(sum(p.numel() for p in module.parameters()) / 1e6, BUILT)


# In-place ops that only write values (weight initialisation: trunc_normal_ is uniform_, erfinv_, mul_, add_,
# clamp_); none changes a shape. On the meta device they have no values to write yet cost most of a build.
_FILLS = frozenset({
    "normal_", "uniform_", "fill_", "zero_", "copy_", "mul_", "add_", "sub_", "div_", "clamp_", "clamp_min_",
    "clamp_max_", "erfinv_", "exponential_", "bernoulli_", "random_", "log_normal_", "masked_fill_", "index_fill_",
    "addcmul_", "addcdiv_", "sqrt_", "exp_", "log_", "abs_", "neg_", "reciprocal_", "pow_",
})


def _skip_fills_mode():
    from torch.overrides import TorchFunctionMode

    class SkipFills(TorchFunctionMode):
        """Returns a meta tensor unchanged from a value-writing in-place op (``_FILLS``); runs every other op."""

        def __torch_function__(self, func, types, args=(), kwargs=None):
            if getattr(func, "__name__", "") in _FILLS and args and getattr(args[0], "is_meta", False):
                return args[0]
            return func(*args, **(kwargs or {}))

    return SkipFills()

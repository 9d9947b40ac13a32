"""The results JSON of one evaluation run: what `imagenet-g eval` writes and a submission carries.

Accuracies are percentages in [0, 100], as in timm's results CSVs and the imagenet-testbed table.
"""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from typing import Literal, get_args

from pydantic import Field

from imagenet_g.errors import DatasetNotFoundError, ImagenetGError
from imagenet_g.files import atomic_write_text
from imagenet_g.strict import StrictModel, validation_message

RESULTS_SCHEMA_VERSION = 1
# test-time augmentation: none, or flip (the logits of each image and of its horizontal flip, summed, as the paper's
# code scores: ``output += model(ch.flip(images, dims=[3]))`` in generative-robustness train/train_imagenet.py)
Tta = Literal["none", "flip"]
TTAS: tuple[Tta, ...] = get_args(Tta)
# fp32 (timm validate.py's default) or amp (float16 autocast)
Precision = Literal["fp32", "amp"]
PRECISIONS: tuple[Precision, ...] = get_args(Precision)
# which loader built the model (``imagenet_g.evaluate.models``): timm, open_clip, custom, or the name of a model
# source an installed package declares (``imagenet_g.evaluate.sources``; 'train': a run of `imagenet-g train`)
ModelSource = str

class ModelInfo(StrictModel):
    """Which classifier was scored and how its inputs were prepared."""

    id: str = Field(description="the id given to `eval --model`, e.g. 'resnet50' or 'open_clip:ViT-B-32/openai'")
    source: ModelSource
    pretrained: bool | str = Field(description="False, True, or the pretrained tag that was loaded")
    checkpoint: str | None = Field(
        default=None, description="the weights file loaded, as a path from the results file's folder (/-separated)")
    weights_sha256: str | None = Field(default=None, description="sha256 of the checkpoint or of the state dict")
    preprocess: dict[str, object] = Field(description="the resolved preprocessing config, as applied")


class DatasetResult(StrictModel):
    """Top-1/top-5 of one model on one dataset, with where the data came from."""

    name: str = Field(description="registry name: imagenet-g, imagenet, imagenet-v2, imagenet-r, ...")
    version: str | None = Field(default=None, description="release (imagenet-g) or variant (imagenet-v2)")
    source: str = Field(description="local folder or Hub dataset id")
    checksum: str | None = Field(default=None, description="release spec hash for imagenet-g")
    classes: str = Field(description="class subset the logits were restricted to, e.g. imagenet-r-200")
    top1: float = Field(ge=0, le=100)
    top5: float = Field(ge=0, le=100)
    top1_ci: tuple[float, float] | None = Field(default=None, description="Wilson 95% interval of top1 over images")
    top5_ci: tuple[float, float] | None = Field(default=None, description="Wilson 95% interval of top5 over images")
    images: int = Field(ge=0, description="images scored")
    skipped: int = Field(ge=0, default=0, description="images not scored (unreadable, outside the label space)")
    skipped_reasons: dict[str, int] = Field(default_factory=dict)
    predictions_file: str | None = Field(default=None, description="per-image predictions (parquet), relative")
    preprocess: dict[str, object] = Field(
        default_factory=dict, description="the preprocessing as applied to this dataset (e.g. ObjectNet's border)"
    )
    fingerprint: str | None = Field(
        default=None, description="sha256 of weights, preprocessing, precision and data; a rerun reuses equal ones"
    )


ErAxis = Literal["linear", "logit"]
ER_AXES: tuple[ErAxis, ...] = get_args(ErAxis)  # linear: the seed paper; logit: Taori et al. 2020


class Line(StrictModel):
    """An ER baseline line on one axis: y = slope * x + intercept, x the control and y the shift top-1 of the
    standard models (in percent on the linear axis, logit of the fraction on the logit axis)."""

    slope: float
    intercept: float


class BaselineFit(StrictModel):
    """The ER baseline of one shift set: a line per axis through the (control, shift) top-1 of standard models.

    ``lines`` is empty when the points allow no fit, and ``status`` says why (else it is ``ok``). The leaderboard
    writes this for each shift set of a release; an eval run's ER records its source, count and range.
    """

    shift: str = Field(description="the shifted dataset (y-axis), e.g. imagenet-r")
    control: str = Field(description="the control dataset (x-axis), e.g. val-on-imagenet-r-classes")
    status: str = Field(description="'ok', or why no line could be fitted")
    n_baselines: int = Field(ge=0)
    min_baselines: int = Field(ge=0, description="the fewest points a fit needs")
    source: str = Field(description="where the baseline points came from")
    x_range: tuple[float, float] | None = Field(description="lowest and highest control top-1 of the points")
    lines: dict[ErAxis, Line] = Field(description="axis -> fitted line; empty without a fit")


class FitER(Line):
    """Effective robustness of one model on one axis: ER = B(D') - f(B(D)), f the baseline line (its slope and
    intercept are this record's)."""

    axis: ErAxis
    er: float = Field(description="percentage points above (+) or below (-) the baseline fit")
    ci_low: float | None = Field(default=None, description="bootstrap 95% interval of ER, low end")
    ci_high: float | None = None


class EffectiveRobustness(StrictModel):
    """ER of the model on one shift set against its control (x-axis) dataset."""

    shift: str = Field(description="the shifted dataset (y-axis), e.g. imagenet-r")
    control: str = Field(description="the control dataset (x-axis), e.g. val-on-imagenet-r-classes")
    control_top1: float = Field(ge=0, le=100)
    shift_top1: float = Field(ge=0, le=100)
    baseline: str = Field(description="where the baseline points came from")
    n_baselines: int = Field(ge=0)
    fits: list[FitER]
    baseline_control_range: tuple[float, float] | None = Field(
        default=None, description="lowest and highest control top-1 among the baseline models"
    )
    extrapolated: bool = Field(
        default=False, description="control_top1 lies outside baseline_control_range: the fit is extrapolated"
    )


class EvalResult(StrictModel):
    """Everything one `imagenet-g eval` run produced; the body of a leaderboard submission."""

    schema_version: int = RESULTS_SCHEMA_VERSION
    model: ModelInfo
    datasets: dict[str, DatasetResult] = Field(description="keyed by dataset name (incl. controls)")
    effective_robustness: dict[str, EffectiveRobustness] = Field(default_factory=dict, description="keyed by shift")
    datasets_skipped: dict[str, str] = Field(
        default_factory=dict, description="datasets not evaluated (not found, no data) and why"
    )
    effective_robustness_skipped: dict[str, str] = Field(
        default_factory=dict, description="shift sets with no ER (no control, no baselines) and why"
    )
    precision: Precision | None = Field(
        default=None, description="fp32 (validate.py's default) or amp (float16 autocast); None in older files"
    )
    tta: Tta = Field(default="none", description="test-time augmentation: none, or flip (the logits of each image "
                                                 "and of its horizontal flip, summed)")
    per_class_file: str | None = Field(default=None, description="per-class top-1/top-5 of every dataset (CSV)")
    environment: dict[str, str] = Field(description="package and library versions, device")
    created: datetime
    complete: bool = Field(description="False while a run is still adding datasets")

    def write(self, path: Path) -> None:
        """Write atomically (temp file + rename), so a reader never sees half a file."""
        atomic_write_text(Path(path), self.model_dump_json(indent=2) + "\n")

    @classmethod
    def read(cls, path: Path) -> "EvalResult":
        """Read and validate a results file, with strict types ("yes" is no bool); ``read_results`` says in one line
        what is wrong with a file that is not one."""
        return cls.model_validate_json(Path(path).read_text(encoding="utf-8"), strict=True)


def _parse_results(path: Path) -> EvalResult | str:
    """The results file at ``path``, read and validated once; else what keeps it from being one this imagenet-g
    reads."""
    try:
        text = Path(path).read_text(encoding="utf-8")
        data = json.loads(text)
    except (OSError, UnicodeDecodeError) as exc:
        return f"cannot be read ({getattr(exc, 'strerror', None) or type(exc).__name__})"
    except ValueError:
        return "is not an imagenet-g results file (not JSON)"
    version = data.get("schema_version") if isinstance(data, dict) else None
    if not isinstance(data, dict) or not {"model", "datasets"} <= data.keys():
        return "is not an imagenet-g results file"
    if version != RESULTS_SCHEMA_VERSION:
        return (f"has results schema_version {version!r}, which this imagenet-g does not read (it reads "
                f"{RESULTS_SCHEMA_VERSION})")
    try:
        return EvalResult.model_validate_json(text, strict=True)
    except ValueError as exc:  # pydantic's ValidationError
        return f"is not an imagenet-g results file ({validation_message(exc)[:200]})"


def read_results(path: Path) -> EvalResult:
    """A results file, or one ``ImagenetGError`` line saying what it is instead: missing, a folder, unreadable, not
    a results file, or of another schema version."""
    path = Path(path)
    if not path.exists():
        raise DatasetNotFoundError(f"results file {path} does not exist", "evaluate the model first")
    if path.is_dir():
        raise DatasetNotFoundError(f"{path} is a folder, not a results file", "give the results JSON inside it")
    parsed = _parse_results(path)
    if isinstance(parsed, str):
        raise ImagenetGError(f"{path} {parsed}", "give the results JSON that `imagenet-g eval` wrote")
    return parsed


def rewritable_results(path: Path, model_id: str | None = None) -> EvalResult | str:
    """The results file at ``path``, read once, when an eval may rewrite it (of model ``model_id`` when given); else
    what it is instead (``imagenet_g.outputs.check_output_file``)."""
    parsed = _parse_results(path)
    if isinstance(parsed, EvalResult) and model_id is not None and parsed.model.id != model_id:
        return f"holds the results of another model ({parsed.model.id})"
    return parsed

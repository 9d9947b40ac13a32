"""Re-run the eval of one submission and compare every metric with what the submission claims."""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

from imagenet_g.benchmarks import get_benchmark
from imagenet_g.errors import UnknownNameError, unknown
from imagenet_g.leaderboard.constants import DEFAULT_TOLERANCE
from imagenet_g.leaderboard.schema import Submission
from imagenet_g.leaderboard.validate import LoadedSubmission, SubmissionProblems, read_submission
from imagenet_g.results import EvalResult



@dataclass(frozen=True)
class MetricCheck:
    """One claimed number against the re-measured one (``measured`` None: the dataset was not scored)."""

    dataset: str
    metric: str  # top1, top5 (compared within the tolerance); images, checksum, preprocess, tta, weights_sha256
    submitted: float | int | str | None
    measured: float | int | str | None

    def ok(self, tolerance: float) -> bool:
        """True when the measured value agrees with the submitted one."""
        if self.measured is None or self.submitted is None:
            return self.measured == self.submitted
        if self.metric in ("top1", "top5"):
            return abs(float(self.measured) - float(self.submitted)) <= tolerance
        return self.measured == self.submitted


@dataclass(frozen=True)
class ReproductionReport:
    """The outcome of `verify_submission`."""

    path: Path
    submission: Submission
    measured: EvalResult
    results_path: Path
    tolerance: float
    checks: tuple[MetricCheck, ...]

    @property
    def mismatches(self) -> tuple[MetricCheck, ...]:
        """The checks that failed."""
        return tuple(c for c in self.checks if not c.ok(self.tolerance))

    def summary(self) -> str:
        """One line: all agree, or which checks failed and, where it is clear, why."""
        slug, n = self.submission.slug, len(self.checks)
        if not self.mismatches:
            return f"{slug}: all {n} checks agree (top-1/top-5 within {self.tolerance} pp)"
        detail = "; ".join(
            f"{c.dataset} {c.metric}: {show_value(c.submitted)} submitted, {show_value(c.measured)} measured"
            for c in self.mismatches
        )
        model = self.submission.result.model
        if any(c.metric == "weights_sha256" for c in self.mismatches) and not model.pretrained and not model.checkpoint:
            detail += " (the model has random weights and no checkpoint, so no re-run can reproduce it)"
        failed = f"{len(self.mismatches)} of {n} checks failed (top-1/top-5 tolerance {self.tolerance} pp)"
        return f"{slug}: {failed}: {detail}"


def show_value(value: float | int | str | None) -> str:
    """A check value as the report prints it."""
    if value is None:
        return "not scored"
    if isinstance(value, float):
        return f"{value:.2f}"
    return str(value)[:16]


_EvalFn = Callable[..., EvalResult]  # run_eval(request, progress=...) -> EvalResult


def find_submission(key: str, root: Path = Path("leaderboard"), release: str | None = None) -> LoadedSubmission:
    """The submission whose file stem (slug), model id or display name is ``key``, under
    ``<root>/submissions/<release>/``; the release may be omitted when only one holds it."""
    where = f"release {release!r}" if release else "any release"
    if not (Path(root) / "submissions").is_dir():
        raise unknown("submission", key, (), where=f"under {root}: no leaderboard there ({Path(root) / 'submissions'} "
                      "is not a folder)", fix="set {root} to a leaderboard folder, one holding submissions/<release>/")
    files = sorted(Path(root).glob(f"submissions/{release or '*'}/*.json"))
    by_slug = [p for p in files if p.stem == key]
    if by_slug:
        matches = [(p, read_submission(p)[0]) for p in by_slug]
    else:
        loaded = [(p, read_submission(p)[0]) for p in files]
        loaded = [(p, s) for p, s in loaded if s is not None]
        matches = [(p, s) for p, s in loaded if key in (s.model_id, s.name)]
        if not matches:
            matches = [(p, s) for p, s in loaded if s.name.casefold() == key.casefold()]
    if not matches:
        known = sorted({p.stem for p in files})
        raise unknown("submission", key, known, where=f"in {where} under {root}",
                      fix="give a slug, model id or name as `imagenet-g leaderboard show` lists them")
    if len(matches) > 1:
        found = ", ".join(f"{p.parent.name}/{p.stem}" for p, _ in matches)
        raise UnknownNameError(f"{key!r} matches several submissions ({found}); give the release or the slug")
    path, sub = matches[0]
    if sub is None:
        raise SubmissionProblems(read_submission(path)[1])
    return LoadedSubmission(path, sub)


def _recorded_paths(result: EvalResult) -> dict[str, str]:
    """Dataset folders recorded in the result that exist on this machine (reused unless overridden).

    Controls (``val-on-...-classes``) are scored from their parent's folder and are never located alone.
    """
    return {name: d.source for name, d in sorted(result.datasets.items())
            if Path(d.source).is_dir() and get_benchmark(name).parent is None}


def verify_submission(
    slug: str,
    root: Path = Path("leaderboard"),
    release: str | None = None,
    tolerance: float = DEFAULT_TOLERANCE,
    data_root: Path = Path("."),
    paths: Mapping[str, str] | None = None,
    device: str = "auto",
    workers: int | None = None,
    out: Path | None = None,
    progress: bool = False,
    run: _EvalFn | None = None,
    checkpoint: Path | None = None,
) -> ReproductionReport:
    """Re-evaluate the submission's model on its datasets and compare top-1, top-5, image counts and checksum.

    The eval is the submission's: its model id, weights, preprocessing, precision and test-time augmentation; every
    dataset is scored again (an earlier results file at ``out`` is never reused). ``checkpoint`` replaces the
    weights file the submission recorded (when it is elsewhere on this machine; its sha256 is still checked).
    ``paths`` override the dataset folders; by default the folders recorded in the submission are used where they
    exist here, and the rest are looked up under ``data_root``. ``run`` defaults to `imagenet_g.evaluate.run_eval`.
    """
    from imagenet_g.evaluate import EvalRequest, check_eval_request, recorded_overrides

    item = find_submission(slug, root, release)
    sub = item.submission
    claimed = sub.result
    results_path = out or Path("results") / "verify" / sub.release / f"{sub.slug}.json"
    request = EvalRequest(
        model=rerun_model_id(claimed.model.id, claimed.model.pretrained),
        checkpoint=checkpoint or _recorded_checkpoint(item),
        pretrained=claimed.model.pretrained is not False,
        preprocess=recorded_overrides(claimed.model.preprocess),
        precision=claimed.precision or "fp32",  # results written before precision was recorded: the default
        tta=claimed.tta,
        force=True,
        datasets=tuple(sorted(claimed.datasets)),
        release=sub.release,
        data_root=Path(data_root),
        paths={**_recorded_paths(claimed), **(paths or {})},
        device=device,
        workers=workers,
        out=results_path,
        bootstrap=0,
    )
    check_eval_request(request, datasets=False)  # the datasets: looked for by the eval (run_eval checks them first)
    if run is None:
        from imagenet_g.evaluate import run_eval as run  # torch: after every argument is checked
    measured = run(request, progress=progress)
    return ReproductionReport(item.path, sub, measured, results_path, tolerance, tuple(compare(claimed, measured)))


def _recorded_checkpoint(item: LoadedSubmission) -> Path | None:
    """The weights file the submission's results recorded: results record it as a path from their own folder, and
    the submission says where the results file was (a path from the submission's folder), so it is found from any
    working folder; an entry without that stays as recorded."""
    recorded = item.submission.result.model.checkpoint
    if recorded is None:
        return None
    if Path(recorded).is_absolute() or item.submission.results_file is None:
        return Path(recorded)
    results = item.path.parent / item.submission.results_file
    return Path(os.path.normpath(results.parent / recorded))


def rerun_model_id(model_id: str, pretrained: bool | str) -> str:
    """The id that loads the submission's weights again: a timm id without a tag gets the pretrained tag it loaded
    (``resnet50`` -> ``resnet50.a1_in1k``), since timm's default tag for a name may change between versions."""
    from imagenet_g.evaluate import parse_model_id

    mid = parse_model_id(model_id)
    if mid.source == "timm" and mid.tag is None and isinstance(pretrained, str) and ":" not in mid.name:
        return f"{model_id}.{pretrained}"
    return model_id


def compare(claimed: EvalResult, measured: EvalResult) -> list[MetricCheck]:
    """The same model (weights, preprocessing), then one check per claimed dataset and metric, in a stable order."""
    checks = [MetricCheck("model", "preprocess", _digest(claimed.model.preprocess), _digest(measured.model.preprocess)),
              MetricCheck("model", "tta", claimed.tta, measured.tta)]
    if claimed.model.weights_sha256 is not None:
        weights = (claimed.model.weights_sha256, measured.model.weights_sha256)
        checks.append(MetricCheck("model", "weights_sha256", *weights))
    for name, d in sorted(claimed.datasets.items()):
        m = measured.datasets.get(name)
        for metric in ("top1", "top5", "images"):
            checks.append(MetricCheck(name, metric, getattr(d, metric), None if m is None else getattr(m, metric)))
        if d.checksum is not None:
            checks.append(MetricCheck(name, "checksum", d.checksum, None if m is None else m.checksum))
    return checks


def _digest(config: Mapping[str, object]) -> str:
    """A short stable fingerprint of a preprocessing config (compared, and shown, instead of the whole dict)."""
    text = json.dumps(config, sort_keys=True, default=str)
    return "sha256:" + hashlib.sha256(text.encode("utf-8")).hexdigest()[:12]

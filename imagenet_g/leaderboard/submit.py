"""Turn an eval results JSON into a submission file: ``<root>/submissions/<release>/<slug>.json``."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from pydantic import ValidationError

from imagenet_g.errors import OutputError, SubmissionError
from imagenet_g.files import relative_path
from imagenet_g.leaderboard.constants import Category
from imagenet_g.leaderboard.files import write_atomic
from imagenet_g.leaderboard.schema import Submission, result_problems
from imagenet_g.leaderboard.validate import (
    IMAGENET_G,
    LoadedSubmission,
    ReleaseCatalog,
    SubmissionProblems,
    check_submission,
    duplicate_problems,
    error_lines,
    read_submission,
)
from imagenet_g.results import EvalResult


class EntryExistsError(OutputError):
    """The model (its id, or its weights) already has an entry in the release; replacing it needs ``force``."""


@dataclass(frozen=True)
class SubmissionInfo:
    """What a reader needs besides the results: the flags of `imagenet-g leaderboard add`."""

    name: str
    category: Category | None  # None: from the training record beside the results (``imagenet-g train`` runs)
    is_standard: bool = False
    paper: str | None = None
    code: str | None = None
    submitted_by: str | None = None
    release: str | None = None  # None: the release the ImageNet-G result was evaluated on


def make_submission(results_path: Path, info: SubmissionInfo, root: Path | None = None) -> Submission:
    """Read an eval results JSON and wrap it with ``info``; raises `SubmissionProblems` on bad input. With the board
    ``root`` it will go under, it records where the results file is from its folder there (``results_file``)."""
    results_path = Path(results_path)
    try:
        text = results_path.read_text(encoding="utf-8")
        data = json.loads(text)
    except FileNotFoundError:
        raise SubmissionError(
            f"{results_path}: no such results file", "evaluate the model first: its results JSON is what this takes"
        ) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise SubmissionError(f"{results_path}: cannot be read ({type(exc).__name__}); pass a results JSON") from None
    except ValueError as exc:
        raise SubmissionError(f"{results_path}: not valid JSON: {exc}") from None
    if isinstance(data, dict) and "result" in data:
        raise SubmissionError(f"{results_path} is already a submission",
                              "give the results JSON of an evaluation, or validate this file as a submission")
    try:
        result = EvalResult.model_validate_json(text, strict=True)  # strict: "yes" is no bool
    except ValidationError as exc:
        raise SubmissionProblems(error_lines(results_path, exc)) from None
    problems = result_problems(result)
    if problems:
        raise SubmissionProblems([f"{results_path}: {p}" for p in problems])
    release = info.release
    if release is None:
        g = result.datasets.get(IMAGENET_G)
        if g is None or g.version is None:
            raise SubmissionError(f"{results_path}: no ImageNet-G result to take the release from", "give the {release}")
        release = g.version
    fields = {
        "name": info.name, "release": release, "category": _category(results_path, info.category),
        "is_standard": info.is_standard,
        "paper": info.paper, "code": info.code, "submitted_by": info.submitted_by, "result": result,
        "results_file": None if root is None else relative_path(results_path, Path(root) / "submissions" / release),
    }
    try:
        return Submission.model_validate(fields)
    except ValidationError as exc:
        # these fields come from the command line, not from the file: no file name in front
        lines = error_lines(results_path, exc)
        raise SubmissionProblems([line.removeprefix(f"{results_path}: ") for line in lines]) from None


def _category(results_path: Path, given: str | None) -> str:
    """The training-data category: the one the run's training record states, else the one given."""
    from imagenet_g.train import training_category

    recorded = training_category(results_path)
    if recorded is None and given is None:
        raise SubmissionError(f"{results_path}: no training record beside it to take the category from",
                              fix="set {category} (real, generated, real+generated, more data, other)")
    if recorded is not None and given is not None and given != recorded:
        raise SubmissionError(f"{results_path}: the model was trained on {recorded} data (training record), "
                              f"not {given}", fix="leave {category} out, or correct it")
    return recorded or given


def add_submission(
    results_path: Path,
    info: SubmissionInfo,
    root: Path = Path("leaderboard"),
    catalog: ReleaseCatalog | None = None,
    force: bool = False,
) -> Path:
    """Validate and write the submission; refuse to replace an existing entry of the model, or another entry of the
    same weights in the release, unless ``force`` (which replaces them)."""
    return add_submissions([(results_path, info)], root, catalog, force)[0]


def add_submissions(
    items: Sequence[tuple[Path, SubmissionInfo]],
    root: Path = Path("leaderboard"),
    catalog: ReleaseCatalog | None = None,
    force: bool = False,
) -> list[Path]:
    """Validate every (results file, info) and write their submissions, or none of them: every problem of every
    item is raised together (`SubmissionProblems`). An existing entry of a model, or another entry of the same
    weights in its release, is replaced only with ``force``."""
    catalog = catalog or ReleaseCatalog.discover()
    problems: list[str] = list(catalog.problems)
    planned: list[tuple[Path, Path, Submission]] = []
    for results_path, info in items:
        results_path = Path(results_path)
        try:
            sub = make_submission(results_path, info, root)
        except SubmissionProblems as exc:
            problems += exc.problems
            continue
        path = Path(root) / "submissions" / sub.release / f"{sub.slug}.json"
        if path.exists():
            existing, _ = read_submission(path)
            if existing is not None and existing.model_id != sub.model_id:
                raise OutputError(f"{results_path}: model {sub.model_id[:80]!r} would replace {path}, the entry of "
                                  f"another model ({existing.model_id[:80]!r}); remove that file first if this is "
                                  "intended")
            if not force:
                raise EntryExistsError(f"{results_path}: model {sub.model_id[:80]!r} is already entered as {path}",
                                       "pass {force} to replace it")
        problems += check_submission(sub, path, catalog, source=results_path)
        planned.append((results_path, path, sub))
    others = _existing(planned)
    twins = [twin for results_path, path, sub in planned for twin in _twins(results_path, path, sub, others, force)]
    problems += _duplicates(planned, [o for o in others if o not in twins])
    if problems:
        raise SubmissionProblems(problems)
    for _, path, sub in planned:
        write_atomic(path, submission_json(sub))
    for twin in twins:  # replaced by a new entry (force): the same weights are entered once per release
        twin.path.unlink()
    return [path for _, path, _ in planned]


def _existing(planned: Sequence[tuple[Path, Path, Submission]]) -> list[LoadedSubmission]:
    """The entries already in the new submissions' release folders, those they replace aside (read once each)."""
    replaced = {path for _, path, _ in planned}
    others = []
    for folder in sorted({path.parent for path in replaced}):
        for other in sorted(folder.glob("*.json")):
            existing, _ = read_submission(other)
            if other not in replaced and existing is not None:
                others.append(LoadedSubmission(other, existing))
    return others


def _twins(results_path: Path, path: Path, sub: Submission, others: list[LoadedSubmission],
           force: bool) -> list[LoadedSubmission]:
    """The entries of ``sub``'s release that hold its weights; an error unless ``force`` (they are replaced)."""
    twins = _same_weights(sub, [o for o in others if o.path.parent == path.parent])
    if twins and not force:
        entries = ", ".join(f"{t.path} ({t.submission.model_id[:80]!r})" for t in twins)
        raise EntryExistsError(f"{results_path}: the weights of model {sub.model_id[:80]!r} (sha256 "
                               f"{sub.result.model.weights_sha256[:12]}) are already entered in release "
                               f"{sub.release!r}: {entries}", "pass {force} to replace that entry")
    return twins


def _duplicates(planned: Sequence[tuple[Path, Path, Submission]], others: list[LoadedSubmission]) -> list[str]:
    """Duplicate entries among the new submissions and the entries they join."""
    sources = {path: results_path for results_path, path, _ in planned}
    lines = duplicate_problems([*others, *(LoadedSubmission(path, sub) for _, path, sub in planned)])
    return [_from_source(line, sources) for line in lines]


def _from_source(line: str, sources: dict[Path, Path]) -> str:
    """A problem line about a submission not yet written, told as one about the results file it comes from."""
    for path, results_path in sources.items():
        if line.startswith(f"{path}: "):
            return line.replace(f"{path}: ", f"{results_path}: ", 1)
    return line


def _same_weights(sub: Submission, others: list[LoadedSubmission]) -> list[LoadedSubmission]:
    """The other entries of the release that hold the same weights (by sha256)."""
    digest = sub.result.model.weights_sha256
    return [o for o in others if digest is not None and o.submission.result.model.weights_sha256 == digest]


def submission_json(sub: Submission) -> str:
    """The stable file text of a submission."""
    return json.dumps(sub.model_dump(mode="json"), indent=2, ensure_ascii=False) + "\n"

"""Validate submission files, collecting every problem as one line ``FILE: field: what is wrong``.

Checks: the schema (required fields, types, accuracy ranges, unknown keys), the eval run being complete
and carrying an ImageNet-G result for the submission's release, a release that exists, the release
checksum against the release's committed spec and against the locally built release, the file sitting in
its release folder, and no model entered twice for one release.
"""

from __future__ import annotations

import glob
import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from pydantic import ValidationError

from imagenet_g.benchmarks import V2_DEFAULT
from imagenet_g.checks import check_folder
from imagenet_g.errors import ImagenetGError, SubmissionError, unknown
from imagenet_g.layout import DEFAULT_DATASET_DIR, built_versions, read_spec_hash
from imagenet_g.leaderboard.schema import Submission, result_problems
from imagenet_g.results import DatasetResult

IMAGENET_G = "imagenet-g"


class SubmissionProblems(SubmissionError):
    """One or more submissions are invalid; ``problems`` holds one line per problem."""

    def __init__(self, problems: Sequence[str]):
        self.problems = tuple(problems)
        noun = "problem" if len(self.problems) == 1 else "problems"
        super().__init__(f"{len(self.problems)} {noun}: " + "; ".join(self.problems))


@dataclass(frozen=True)
class ReleaseCatalog:
    """Which releases exist, the spec hash of each (from its committed spec) and of each one built locally."""

    known: frozenset[str]
    spec_hashes: Mapping[str, str] = field(default_factory=dict)
    built_hashes: Mapping[str, str] = field(default_factory=dict)
    problems: tuple[str, ...] = ()

    @classmethod
    def discover(cls, specs_dir: Path | None = None, dataset_dir: Path | None = None) -> ReleaseCatalog:
        """Releases with a spec (in ``specs_dir``, default: the specs shipped in the package), plus those built
        in ``dataset_dir`` (``<dataset_dir>/<v>/manifest.json``): a folder given must exist (a mistyped one would
        silently hide every build); the default, ``imagenet-g``, may be absent (nothing built here)."""
        from imagenet_g.release import list_versions, load_release, specs_dir as find_specs_dir

        if dataset_dir is None:
            dataset_dir = check_folder(DEFAULT_DATASET_DIR, "dataset_dir", must_exist=False)
        else:
            check_folder(dataset_dir, "dataset_dir")
        problems: list[str] = []
        specs: dict[str, str] = {}
        folder = find_specs_dir(specs_dir)
        for version in list_versions(folder):
            try:
                specs[version] = load_release(version, folder).spec_hash
            except ImagenetGError as exc:
                problems.append(f"release spec {version}: {exc}")
        built: dict[str, str] = {}
        for version in built_versions(dataset_dir):
            try:
                built[version] = read_spec_hash(dataset_dir, version)
            except ImagenetGError as exc:
                problems.append(str(exc))
        return cls(frozenset(specs) | frozenset(built), specs, built, tuple(problems))


@dataclass(frozen=True)
class LoadedSubmission:
    """A valid submission and the file it came from."""

    path: Path
    submission: Submission


def read_submission(path: Path) -> tuple[Submission | None, list[str]]:
    """Parse one file against the schema; returns the submission (or None) and its problems."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return None, [f"{path}: no such file"]
    except (OSError, UnicodeDecodeError) as exc:
        return None, [f"{path}: cannot be read as UTF-8 text ({type(exc).__name__})"]
    try:
        data = json.loads(text)
    except ValueError as exc:
        return None, [f"{path}: not valid JSON: {exc}"]
    if isinstance(data, dict) and "result" not in data and {"model", "datasets"} <= data.keys():
        return None, [f"{path}: this is an eval results file, not a submission; turn it into one with "
                      f"`imagenet-g leaderboard add {path} --name ... --category ...`"]
    try:
        return Submission.model_validate_json(text, strict=True), []  # strict: "yes" is no bool, "1" no number
    except ValidationError as exc:
        return None, error_lines(path, exc)


def error_lines(path: Path, exc: ValidationError) -> list[str]:
    """One ``FILE: field: message`` line per pydantic error."""
    return [f"{path}: {_format_error(err)}" for err in exc.errors()]


def _format_error(err: Mapping[str, object]) -> str:
    where = ".".join(str(part) for part in err["loc"])
    value = err.get("input")
    if err["type"] == "value_error":  # our own validators: the message already names the field when needed
        message = str(err["ctx"]["error"])
    elif err["type"] == "missing":
        message = "required field is missing"
    elif err["type"] == "extra_forbidden":
        message = "unknown field; remove it"
    else:
        message = str(err["msg"])
        if isinstance(value, (int, float, bool)) or (isinstance(value, str) and len(value) <= 60):
            message += f" (got {json.dumps(value)})"
    return f"{where}: {message}" if where else message


def check_submission(sub: Submission, path: Path, catalog: ReleaseCatalog, source: Path | None = None) -> list[str]:
    """Problems the schema alone cannot see: results version and text, completeness, release, checksum, file
    name and folder, per-dataset sanity. Each line starts with ``source`` (the file the user gave; default
    ``path``, where the submission is or would be stored)."""
    problems: list[str] = list(result_problems(sub.result))
    result = sub.result
    if not result.complete:
        problems.append(
            "result.complete: the eval run is incomplete; finish it (rerun the same eval) before submitting"
        )
    for key, ds in sorted(result.datasets.items()):
        problems.extend(_check_dataset(key, ds))
    if sub.release not in catalog.known:  # the one cause: the ImageNet-G result cannot match a release not known
        problems.append(str(unknown("release", sub.release, sorted(catalog.known), key="release")))
    else:
        problems.extend(_check_imagenet_g(sub, catalog))
    folder = path.parent
    if folder.parent.name == "submissions" and folder.name != sub.release:
        problems.append(f"release: {sub.release!r} but the file is under submissions/{folder.name}/; "
                        f"move it to submissions/{sub.release}/")
    if folder.parent.name == "submissions" and path.name != f"{sub.slug}.json":
        problems.append(f"file name: the submission of model {sub.model_id[:80]!r} is stored as {sub.slug}.json; "
                        f"rename the file")
    return [f"{source or path}: {p}" for p in problems]


def _check_dataset(key: str, ds: DatasetResult) -> list[str]:
    where = f"result.datasets.{key}"
    problems = []
    if key == "imagenet-v2" and ds.version not in (None, V2_DEFAULT):
        problems.append(f"{where}.version: variant {ds.version!r}, but the board's ImageNet-V2 column and its "
                        f"baselines are {V2_DEFAULT!r}; re-run the eval with the default ImageNet-V2 variant")
    if ds.name != key:
        problems.append(f"{where}.name: {ds.name!r} does not match its key {key!r}")
    if ds.top5 < ds.top1:
        problems.append(f"{where}.top5: {ds.top5} is below top1 {ds.top1}; top-5 accuracy cannot be lower")
    if ds.images == 0:
        problems.append(f"{where}.images: 0 images scored; an accuracy needs at least one image")
    return problems


def _check_imagenet_g(sub: Submission, catalog: ReleaseCatalog) -> list[str]:
    ds = sub.result.datasets.get(IMAGENET_G)
    where = f"result.datasets.{IMAGENET_G}"
    if ds is None:
        return [f"{where}: missing; run `imagenet-g eval --release {sub.release} --datasets {IMAGENET_G} ...` first"]
    problems = []
    if ds.version != sub.release:
        problems.append(f"{where}.version: evaluated on release {ds.version!r} but submitted for {sub.release!r}")
    # the committed spec is the authority; a local build stands in where the spec is not at hand
    expected = catalog.spec_hashes.get(sub.release)
    origin = "the spec hash of release"
    if expected is None:
        expected, origin = catalog.built_hashes.get(sub.release), "the spec hash of the built release"
    if expected is not None and ds.checksum != expected:
        problems.append(f"{where}.checksum: {ds.checksum!r} is not {origin} {sub.release!r} ({expected!r}); "
                        f"evaluate on a build of the release's committed spec")
    return problems


def duplicate_problems(loaded: Iterable[LoadedSubmission]) -> list[str]:
    """One line per file that repeats a (release, model id) pair, or a release's weights (their sha256), already
    seen in an earlier file: one entry per model and release, whatever id it was scored under."""
    seen: dict[tuple[str, str], Path] = {}
    weights: dict[tuple[str, str], Path] = {}
    problems = []
    for item in loaded:
        sub = item.submission
        key = (sub.release, sub.model_id)
        twin = (sub.release, sub.result.model.weights_sha256 or "")
        if key in seen:
            problems.append(f"{item.path}: duplicate entry: model {key[1]!r} in release {key[0]!r} "
                            f"is already entered in {seen[key]}")
        elif twin[1] and twin in weights:
            problems.append(f"{item.path}: duplicate entry: the weights of model {sub.model_id[:80]!r} (sha256 "
                            f"{twin[1][:12]}) in release {sub.release!r} are already entered in {weights[twin]}")
        else:
            seen[key] = item.path
            if twin[1]:
                weights[twin] = item.path
    return problems


def submission_files(args: Sequence[Path | str]) -> list[Path]:
    """The files named by ``args``: files as given, every ``*.json`` under a folder, and the matches of a glob
    pattern the shell left unexpanded (``submissions/v1/*.json`` in a folder with none). Raises
    `SubmissionError` when nothing is left to validate."""
    files: list[Path] = []
    for arg in args:
        path = Path(arg)
        if path.is_dir():
            files += sorted(path.rglob("*.json"))
        elif not path.exists() and any(ch in str(arg) for ch in "*?["):
            files += sorted(Path(p) for p in glob.glob(str(arg), recursive=True))
        else:
            files.append(path)
    if not files:
        named = ", ".join(str(a) for a in args) or "no path"
        raise SubmissionError(f"nothing to validate: {named} holds no submission files (*.json); "
                              f"add one with `imagenet-g leaderboard add`")
    return files


def validate_files(paths: Iterable[Path], catalog: ReleaseCatalog) -> list[LoadedSubmission]:
    """Read and check every file; raise `SubmissionProblems` listing all problems, else return them all."""
    problems = list(catalog.problems)
    loaded: list[LoadedSubmission] = []
    for path in sorted({Path(p) for p in paths}):
        sub, found = read_submission(path)
        if sub is not None:
            found = check_submission(sub, path, catalog)
            loaded.append(LoadedSubmission(path, sub))
        problems.extend(found)
    problems.extend(duplicate_problems(loaded))
    if problems:
        raise SubmissionProblems(problems)
    return loaded

"""Which models a sweep scores: named model sets and the user's model file, both as ``ModelEntry`` tuples.

A model file lists one model id per line, in the spelling ``imagenet-g eval --model`` takes, optionally followed by
preprocessing overrides and ``--standard`` (the model counts as a standard, real-data classifier: a baseline point
of the board's ImageNet-G ER fit); ``#`` starts a comment::

    # the baseline models
    resnet50.tv_in1k --standard
    vit_base_patch16_224.augreg_in21k_ft_in1k --input-size 288 --crop-pct 1.0

``resolve_models`` turns what ``sweep --models`` was given (a set's name or a file) into the entries.
"""

from __future__ import annotations

import csv
import shlex
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from types import MappingProxyType
from typing import Any

from imagenet_g.errors import ArgumentError, ImagenetGError, ModelSetError, UnknownNameError, unknown
from imagenet_g.evaluate import OPEN_CLIP_PREFIX, check_model_id, check_overrides, parse_model_id
from imagenet_g.timm_tags import names_more_data


@dataclass(frozen=True)
class ModelEntry:
    """One model of a sweep: its id, the preprocessing overrides it is scored with, and whether it is standard."""

    id: str
    overrides: Mapping[str, Any] = field(default_factory=dict)  # eval preprocessing overrides, e.g. input_size
    standard: bool = False  # a standard (real-data, standard-training) model: a baseline point of ER fits
    available: bool = True  # False: listed in a set but cannot be scored here (``reason`` says why)
    reason: str = ""
    source: str = ""  # where the entry came from: a set's reference, or FILE:LINE

    def __post_init__(self) -> None:
        object.__setattr__(self, "overrides", MappingProxyType(dict(self.overrides)))

    def __reduce__(self):  # a read-only mapping does not pickle; entries travel to Ray workers
        return (type(self), (self.id, dict(self.overrides), self.standard, self.available, self.reason, self.source))


def _size(text: str) -> tuple[int, int, int]:
    return (3, int(text), int(text))


def _numbers(text: str) -> tuple[float, ...]:
    return tuple(float(v) for v in text.split(","))


# Model file options that take a value -> (override key, parser); the names `imagenet-g eval` gives them.
_VALUE_OPTIONS: dict[str, tuple[str, Callable[[str], object]]] = {
    "--input-size": ("input_size", _size),
    "--crop-pct": ("crop_pct", float),
    "--crop-mode": ("crop_mode", str),
    "--interpolation": ("interpolation", str),
    "--mean": ("mean", _numbers),
    "--std": ("std", _numbers),
}
_STANDARD = "--standard"
_FILE_OPTIONS = (*_VALUE_OPTIONS, _STANDARD)


def _parse_line(tokens: list[str], where: str) -> ModelEntry:
    model_id, rest = tokens[0], tokens[1:]
    parse_model_id(model_id)
    overrides: dict[str, object] = {}
    standard = False
    i = 0
    while i < len(rest):
        option, _, inline = rest[i].partition("=")
        if option == _STANDARD and not inline:
            standard, i = True, i + 1
            continue
        if option not in _VALUE_OPTIONS:
            raise unknown("model file option", rest[i], _FILE_OPTIONS, key=where, error=ModelSetError)
        if not inline and i + 1 >= len(rest):
            raise ModelSetError(f"{where}: {option} needs a value", f"write it after the option: {option} VALUE")
        text = inline or rest[i + 1]
        key, parse = _VALUE_OPTIONS[option]
        if key in overrides:
            raise ModelSetError(f"{where}: {option} is given twice", "keep one")
        try:
            overrides[key] = parse(text)
        except ValueError:
            raise ModelSetError(f"{where}: {option} {text!r} is not a valid value",
                                "give a whole number of pixels for the input size, numbers for the others") from None
        i += 1 if inline else 2
    try:
        check_overrides(overrides)
    except ImagenetGError as exc:
        raise ModelSetError(f"{where}: {exc.problem}", exc.fix) from None
    return ModelEntry(model_id, overrides, standard, source=where)


def read_model_file(path: Path) -> tuple[ModelEntry, ...]:
    """The models a file lists, in order. An unreadable or empty file, an unknown option, a model listed twice (with
    the same or with different overrides) are errors naming the file and its line numbers.

    Example:
        >>> from pathlib import Path
        >>> from imagenet_g.sweep import read_model_file
        >>> _ = Path("models.txt").write_text("resnet50.tv_in1k --standard\\n# a comment\\n"
        ...                                   "vit_base_patch16_224.augreg_in21k_ft_in1k --input-size 288\\n")
        >>> [(m.id, m.standard, dict(m.overrides), m.source) for m in read_model_file(Path("models.txt"))]
        [('resnet50.tv_in1k', True, {}, 'models.txt:1'),
         ('vit_base_patch16_224.augreg_in21k_ft_in1k', False, {'input_size': (3, 288, 288)}, 'models.txt:3')]
    """
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else type(exc).__name__
        raise ModelSetError(f"cannot read model file {path}: {reason}", "give a UTF-8 text file, one model id a line")
    entries: list[ModelEntry] = []
    lines: dict[str, list[int]] = {}
    for number, line in enumerate(text.splitlines(), start=1):
        try:
            tokens = shlex.split(line, comments=True)
        except ValueError as exc:  # an unclosed quote
            raise ModelSetError(f"{path}:{number}: {exc}", "close the quote") from None
        if not tokens:
            continue
        try:
            entry = _parse_line(tokens, f"{path}:{number}")
        except UnknownNameError as exc:  # a malformed model id
            raise ModelSetError(f"{path}:{number}: {exc.problem}", exc.fix) from None
        lines.setdefault(entry.id, []).append(number)
        entries.append(entry)
    if not entries:
        raise ModelSetError(f"model file {path} lists no model", "write one model id a line, e.g. resnet50")
    for model_id, numbers in lines.items():
        if len(numbers) > 1:
            same = [e for e in entries if e.id == model_id]
            how = ("twice with different overrides" if len({tuple(sorted(e.overrides.items())) for e in same}) > 1
                   else "twice")
            at = ", ".join(str(n) for n in numbers)
            raise ModelSetError(f"{path}: model {model_id!r} is listed {how} (lines {at})",
                                "keep one line per model: each model has one results file")
    return tuple(entries)


def check_entries(entries: Sequence[ModelEntry]) -> None:
    """Refuse a set with a model listed twice, or an available model whose id names nothing, before any work."""
    seen: dict[str, ModelEntry] = {}
    for entry in entries:
        if entry.id in seen:
            raise ModelSetError(f"model {entry.id!r} is listed twice ({seen[entry.id].source or 'first'} and "
                                 f"{entry.source or 'again'})", "list each model once")
        seen[entry.id] = entry
        if entry.available:
            try:
                check_model_id(entry.id)
            except UnknownNameError as exc:
                where = f"{entry.source}: " if entry.source else ""
                raise UnknownNameError(f"{where}{exc.problem}", exc.fix) from None


_TESTBED_SET = "imagenet_testbed_standard.csv"  # under imagenet_g/data/model_sets
TESTBED_PREFIX = "imagenet-testbed:"  # the id of a testbed model with no timm equivalent, and every entry's source


def imagenet_testbed_standard() -> tuple[ModelEntry, ...]:
    """imagenet-testbed's STANDARD models as the timm ids of the same weights: the default baseline set.

    They are the baseline points of the testbed's natural-shift fits. A pair is available when both sources publish
    its ImageNet top-1 within 0.1 pp (a test checks every pair against both tables); the others are listed
    unavailable with the reason, under the timm id of the same origin where there is one, else as
    ``imagenet-testbed:<name>``.
    """
    text = resources.files("imagenet_g").joinpath("data", "model_sets", _TESTBED_SET).read_text(encoding="utf-8")
    return tuple(
        ModelEntry(row["timm_id"] or TESTBED_PREFIX + row["testbed_model"], standard=True,
                   available=not row["unavailable"], reason=row["unavailable"],
                   source=TESTBED_PREFIX + row["testbed_model"])
        for row in csv.DictReader(text.splitlines())
    )


def timm_in1k() -> tuple[ModelEntry, ...]:
    """timm's pretrained weights trained on ImageNet-1k only.

    The rule: a 1000-class head (the pretrained config's ``num_classes``) and a pretrained tag that names no other
    data (``timm_tags.names_more_data``).
    """
    import timm
    from timm.models import get_pretrained_cfg

    return tuple(ModelEntry(name, source="timm-in1k") for name in timm.list_models(pretrained=True)
                 if get_pretrained_cfg(name).num_classes == 1000 and not names_more_data(name))


def _timm_pretrained() -> tuple[ModelEntry, ...]:
    """Every timm model with pretrained weights, one entry per tag."""
    import timm

    return tuple(ModelEntry(name, source="timm") for name in timm.list_models(pretrained=True))


def _open_clip_pretrained() -> tuple[ModelEntry, ...]:
    """Every open_clip pretrained (architecture, tag), as zero-shot classifiers: open_clip:<arch>/<tag>."""
    import open_clip

    return tuple(ModelEntry(f"{OPEN_CLIP_PREFIX}{arch}/{tag}", source="open_clip")
                 for arch, tag in open_clip.list_pretrained())


# Named model sets: name -> a function listing its entries (called only when the set is asked for).
MODEL_SETS: dict[str, Callable[[], tuple[ModelEntry, ...]]] = {
    "testbed-standard": imagenet_testbed_standard,
    "timm-in1k": timm_in1k,
    "timm": _timm_pretrained,
    "open_clip": _open_clip_pretrained,
}
BASELINE_SET = "testbed-standard"  # the standard models ImageNet-G ER is fitted on, as the natural shifts' are


def model_set_summaries() -> dict[str, str]:
    """Each named set with what it holds (the first paragraph of its function's docstring)."""
    return {name: " ".join((entries.__doc__ or "").split("\n\n")[0].split()) for name, entries in MODEL_SETS.items()}


def model_file(models: str | Path) -> Path:
    """The model file ``models`` names when it is not a set's name: a path that exists, or that looks like one (a
    bare word is a misspelt set's name); an empty string, a folder, or neither is an error."""
    text = str(models)
    if not text.strip():
        raise ArgumentError("an empty string names no model set or file",
                            "set {models} to a model set's name or a model file")
    path = Path(text)
    if not (path.exists() or path.suffix or len(path.parts) > 1):
        raise unknown("model set", text, MODEL_SETS, param="models", otherwise="give a model file (one model id a line)")
    if path.is_dir():
        raise ArgumentError(f"models {text!r} is a folder, not a model file", "set {models} to a model file")
    return path


def resolve_models(models: str | Path) -> tuple[ModelEntry, ...]:
    """The entries of a named model set, or of a model file (see ``model_file``), each checked (``check_entries``)."""
    text = str(models)
    entries = MODEL_SETS[text]() if text in MODEL_SETS else read_model_file(model_file(text))
    check_entries(entries)
    return entries

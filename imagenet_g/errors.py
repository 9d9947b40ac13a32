"""The errors a user can cause. The CLI prints their message on one line and exits 2.

Every error says what was wrong (``problem``) and how to fix it (``fix``). A fix names the parameters
it refers to in braces, with the value to give where there is one: ``"set {device} to cpu"`` or
``"use {pretrained=False}"``. A Python caller reads ``set device to cpu`` / ``use pretrained=False``; the CLI
renders the same error with its flags (``set --device to cpu`` / ``use --no-pretrained``), so only the CLI knows
flags. Classes also subclass the matching built-in so that callers using plain Python can catch them as usual.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Callable, Iterable

# ``{name}`` or ``{name=value}``: a parameter, optionally with the value to give it
_PARAMETER = re.compile(r"\{([a-z][a-z0-9_]*(?:=[^{}]*)?)\}")


class ImagenetGError(Exception):
    """Base class of every error a user can cause (bad input, missing data, failed check)."""

    def __init__(self, problem: str, fix: str | None = None) -> None:
        self.problem = problem
        self.fix = fix
        super().__init__(self.render())

    def __reduce__(self):  # pickles (Ray workers) keep problem and fix apart
        return (_rebuild, (type(self), self.problem, self.fix, self.__dict__))

    @property
    def parameters(self) -> tuple[str, ...]:
        """The parameter names the fix refers to."""
        return tuple(p.partition("=")[0] for p in _PARAMETER.findall(self.fix or ""))

    def render(self, name: Callable[[str], str] = str) -> str:
        """``problem; fix`` with each ``{parameter}`` (or ``{parameter=value}``) of the fix written as
        ``name("parameter")`` (``name("parameter=value")``)."""
        if not self.fix:
            return self.problem
        return f"{self.problem}; {_PARAMETER.sub(lambda m: name(m.group(1)), self.fix)}"


def _rebuild(cls: type, problem: str, fix: str | None, state: dict) -> ImagenetGError:
    error = cls.__new__(cls)
    ImagenetGError.__init__(error, problem, fix)
    error.__dict__.update(state)
    return error


class SpecError(ImagenetGError, ValueError):
    """A release spec or lock is malformed, inconsistent, or does not match what would be loaded."""


class ArgumentError(ImagenetGError, ValueError):
    """A value given that cannot be right: a number out of its bounds, a path of the wrong kind or missing, an empty
    list of names."""


class UnknownNameError(ImagenetGError, KeyError):
    """A name (version, model, dataset, class, template set) that we do not know."""

    def __str__(self) -> str:  # KeyError would repr() the message
        return self.render()


class DatasetNotFoundError(ImagenetGError, FileNotFoundError):
    """A dataset folder is missing, empty, or not in the layout its publisher ships."""


class ReleaseIntegrityError(ImagenetGError):
    """A built release does not match its manifest (missing, truncated or altered shard)."""


class OutputError(ImagenetGError, OSError):
    """An output location cannot be written, or holds something we must not overwrite."""


class SubmissionError(ImagenetGError, ValueError):
    """A leaderboard submission failed validation."""


class ModelError(ImagenetGError, ValueError):
    """A model cannot be built, or its weights (checkpoint, pretrained tag) cannot be loaded into it."""


class DependencyError(ImagenetGError, ImportError):
    """An optional dependency is not installed; the message names the extra to install."""


class ClusterError(ImagenetGError, ConnectionError):
    """A compute cluster (Ray) cannot be reached, lacks the resources asked for, or lost its workers."""


class InsufficientDataError(ImagenetGError, ValueError):
    """Too few images for a metric (FID needs 2 per set, KID a subset of at least 2, Vendi at least 1)."""


class ModelSetError(ImagenetGError, ValueError):
    """A model file or model set is malformed: no model, a model listed twice, an unknown option on a line."""


class RecipeError(ImagenetGError, ValueError):
    """A training recipe is malformed: an unknown key, a wrong type or an impossible value."""


class TrainingError(ImagenetGError, RuntimeError):
    """Training cannot run as asked: label spaces that do not fit, a batch that does not fit in memory."""


def close_matches(name: str, candidates: Iterable[str], n: int = 3) -> str:
    """Return a ' (did you mean: a, b?)' suffix for an unknown name, or '' when nothing is close."""
    matches = difflib.get_close_matches(name, list(candidates), n=n, cutoff=0.6)
    return f" (did you mean: {', '.join(matches)}?)" if matches else ""


def one_line(exc: BaseException) -> str:
    """An exception from code that is not ours (a user's module, a plug-in) as ``Type: message`` on one line."""
    return f"{type(exc).__name__}: {' '.join(str(exc).split())[:200]}"


def unknown(
    kind: str,
    name: object,
    choices: Iterable[object],
    fix: str | None = None,
    *,
    where: str = "",
    param: str | None = None,
    otherwise: str = "",
    key: str = "",
    error: type[ImagenetGError] = UnknownNameError,
) -> ImagenetGError:
    """The error for a name we do not know, the one way such a message is written:
    ``[KEY: ]unknown KIND 'NAME'[ WHERE] (did you mean: ...?); choose one of: A, B[, or OTHERWISE]``.

    ``param`` names the parameter the name was given as (``set {param} to one of: ...``); ``otherwise`` is another
    way out (``build release v9 first``); ``fix`` replaces the advice (a list too long to print: say where it is);
    ``key`` is the file key that held the name (``generator.pipeline``); ``error`` is the class raised
    (default `UnknownNameError`).
    """
    names = [str(c) for c in choices]
    problem = f"{f'{key}: ' if key else ''}unknown {kind} {name!r}{f' {where}' if where else ''}{close_matches(str(name), names)}"
    if fix is None:
        verb = f"set {{{param}}} to" if param else "choose"
        ways = [f"{verb} one of: {', '.join(names) or 'none'}"] if names or not otherwise else []
        fix = ", or ".join([*ways, *([otherwise] if otherwise else [])])
    return error(problem, fix)

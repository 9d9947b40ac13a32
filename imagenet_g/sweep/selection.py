"""Which models of a set to take, as timm's bulk runner selects them: fnmatch patterns on the model id to include
(any of them) and to exclude (``timm.list_models(filter, exclude_filters=...)``), and a parameter budget."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from fnmatch import fnmatchcase
from pathlib import Path

from imagenet_g.errors import ArgumentError, ModelSetError
from imagenet_g.sweep.model_sets import ModelEntry, resolve_models
from imagenet_g.sweep.params import ParamCount, count_params

_log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ModelRow:
    """A model of a listing with its parameter count (None: not countable here)."""

    entry: ModelEntry
    params: ParamCount | None

    def as_dict(self) -> dict[str, object]:
        """The row as plain JSON values."""
        e = self.entry
        return {"id": e.id, "source": e.source, "standard": e.standard, "available": e.available, "reason": e.reason,
                "overrides": dict(e.overrides), "params_m": self.params.millions if self.params else None,
                "params_from": self.params.found if self.params else None}


@dataclass(frozen=True)
class ModelListing:
    """The models a set or file gives after the filters, and the available ones a budget left out uncounted."""

    models: str
    rows: tuple[ModelRow, ...]
    uncounted: tuple[str, ...] = ()

    @property
    def entries(self) -> tuple[ModelEntry, ...]:
        """The listed models."""
        return tuple(r.entry for r in self.rows)


def check_selection(include: Sequence[str] = (), exclude: Sequence[str] = (), max_params: float | None = None) -> None:
    """Patterns that name something (an empty one is never "every model") and a budget that can keep a model."""
    for param, patterns in (("include", include), ("exclude", exclude)):
        if any(not p.strip() for p in patterns):
            raise ArgumentError("an empty pattern matches no model id",
                                f"set {{{param}}} to an fnmatch pattern, e.g. 'convnext*'")
    if max_params is not None and not max_params > 0:  # NaN too
        raise ArgumentError(f"a parameter budget of {max_params} million keeps no model",
                            "set {max_params} to a positive number of millions, or leave it out")


def filter_models(entries: Sequence[ModelEntry], include: Sequence[str] = (),
                  exclude: Sequence[str] = ()) -> tuple[ModelEntry, ...]:
    """The entries whose id matches one of ``include`` (all when none is given) and none of ``exclude``."""
    return tuple(e for e in entries
                 if (not include or any(fnmatchcase(e.id, p) for p in include))
                 and not any(fnmatchcase(e.id, p) for p in exclude))


def keep_some(kept: Sequence[ModelEntry], models: object) -> tuple[ModelEntry, ...]:
    """``kept``, unless the filters left no model of ``models`` (a set's name, a file, entries): an error."""
    if not kept:
        name = models if isinstance(models, (str, Path)) else "the models given"
        raise ModelSetError(f"the filters keep no model of {name}", "loosen {include}, {exclude} or {max_params}")
    return tuple(kept)


def sweep_models(models: object, include: Sequence[str] = (), exclude: Sequence[str] = (),
                 max_params: float | None = None, entries: Sequence[ModelEntry] | None = None) -> tuple[ModelEntry, ...]:
    """The models a sweep scores: a set or model file (``entries``: its models, when already read), filtered by id
    patterns and, with ``max_params``, by parameter count (the models whose count is unknown are left out, logged)."""
    if max_params is not None:
        listing = list_models(models, include, exclude, max_params, entries)
        if listing.uncounted:
            _log.warning("left out, parameter count unknown: %s", ", ".join(listing.uncounted))
        return listing.entries
    check_selection(include, exclude)
    return keep_some(filter_models(resolve_models(models) if entries is None else entries, include, exclude), models)


def list_models(models: object, include: Sequence[str] = (), exclude: Sequence[str] = (),
                max_params: float | None = None, entries: Sequence[ModelEntry] | None = None) -> ModelListing:
    """A model set (by name) or model file (``entries``: its models, when already read), filtered by id patterns,
    each model with its parameter count. With ``max_params`` (millions), only models known to be at most that large
    are kept; the available ones whose count is unknown are named in ``uncounted``. Filters that keep no model are
    an error."""
    check_selection(include, exclude, max_params)
    chosen = keep_some(filter_models(resolve_models(models) if entries is None else entries, include, exclude), models)
    rows = tuple(ModelRow(e, count_params(e.id)) for e in chosen)
    if max_params is None:
        return ModelListing(str(models), rows)
    kept = tuple(r for r in rows if r.params is not None and r.params.millions <= max_params)
    keep_some([r.entry for r in kept], models)
    return ModelListing(str(models), kept, tuple(r.entry.id for r in rows if r.params is None and r.entry.available))

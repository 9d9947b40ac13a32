"""Which models of a set to take, as timm's bulk runner selects them: fnmatch patterns on the model id to include
(any of them) and to exclude (``timm.list_models(filter, exclude_filters=...)``), and a parameter budget."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from fnmatch import fnmatchcase
from pathlib import Path

from imagenet_g.errors import ModelSetError
from imagenet_g.sweep.model_sets import ModelEntry, resolve_models
from imagenet_g.sweep.params import ParamCount, count_params


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


def filter_models(entries: Sequence[ModelEntry], include: Sequence[str] = (),
                  exclude: Sequence[str] = ()) -> tuple[ModelEntry, ...]:
    """The entries whose id matches one of ``include`` (all when none is given) and none of ``exclude``."""
    return tuple(e for e in entries
                 if (not include or any(fnmatchcase(e.id, p) for p in include))
                 and not any(fnmatchcase(e.id, p) for p in exclude))


def list_models(models: str | Path, include: Sequence[str] = (), exclude: Sequence[str] = (),
                max_params: float | None = None) -> ModelListing:
    """A model set (by name) or model file, filtered by id patterns, each model with its parameter count. With
    ``max_params`` (millions), only models known to be at most that large are kept; the available ones whose
    count is unknown are named in ``uncounted``."""
    if max_params is not None and not max_params > 0:
        raise ModelSetError(f"a parameter budget of {max_params} million keeps no model",
                            "set {max_params} to a positive number of millions")
    rows = tuple(ModelRow(e, count_params(e.id)) for e in filter_models(resolve_models(models), include, exclude))
    if max_params is None:
        return ModelListing(str(models), rows)
    return ModelListing(
        str(models),
        tuple(r for r in rows if r.params is not None and r.params.millions <= max_params),
        tuple(r.entry.id for r in rows if r.params is None and r.entry.available),
    )

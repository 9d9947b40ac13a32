"""Model sources contributed by installed packages: ``<name>:<spec>`` model ids whose loader another package
declares as a Python entry point in the group ``imagenet_g.model_sources`` (``name = "package.module:loader"``).

imagenet-g's own ``train:<run>/<arch>`` ids are one (``imagenet_g.train.trained``), so evaluation imports nothing
of train. A loader takes a ``SourceRequest`` and returns a ``SourcedModel``; ``imagenet_g.evaluate.models`` turns
that into a ``LoadedModel`` (preprocessing under the user's overrides, the input-size check, the weights hash).
Looking a name up reads installed metadata only; a loader's package is imported when an id of it is loaded.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from importlib.metadata import EntryPoint, entry_points
from pathlib import Path

from imagenet_g.errors import ImagenetGError, ModelError, one_line

ENTRY_POINT_GROUP = "imagenet_g.model_sources"


@dataclass(frozen=True)
class SourceRequest:
    """What a source's loader is asked for: the whole id, the part after ``<name>:``, whether the library's
    weights are wanted, and the weights file given (as given: the loader says, naming the id, when it is not there).
    """

    id: str
    spec: str
    pretrained: bool
    checkpoint: Path | None


@dataclass(frozen=True)
class SourcedModel:
    """What a source's loader returns: a torch module giving 1000 ImageNet logits per image, and how its inputs
    are made: timm data-config values (``input_size``, ``crop_pct``, ``interpolation``, ``mean``, ``std``, ...)
    over the module's own config, or an opaque ``transform`` (PIL image -> float tensor)."""

    module: object
    preprocess: dict[str, object] = field(default_factory=dict)
    transform: Callable | None = None
    weights: Path | None = None  # the weights file loaded; results record it and its sha256
    pretrained: bool | str = False  # the pretrained tag loaded, if the source loads published weights
    id: str | None = None  # the one id of what was loaded, whichever way it was named; None: the id as given


_SourceLoader = Callable[[SourceRequest], SourcedModel]


def installed_sources() -> dict[str, EntryPoint]:
    """The model sources installed packages declare, by name (the first one found wins, as for console scripts)."""
    found: dict[str, EntryPoint] = {}
    for point in entry_points(group=ENTRY_POINT_GROUP):
        found.setdefault(point.name, point)
    return found


def load_with_source(name: str, request: SourceRequest) -> SourcedModel:
    """Load ``request`` with the installed source ``name``: errors of ours pass as they are; anything else the
    source's code raises becomes one line naming the id and the loader."""
    point = installed_sources()[name]
    where = f"{point.value}{_distribution(point)}"
    try:
        loader: _SourceLoader = point.load()
    except Exception as exc:  # the source's package fails to import: its code, any exception type
        raise ModelError(f"model source {name!r} ({where}) cannot be imported: {one_line(exc)}",
                         "reinstall the package that provides it") from exc
    try:
        loaded = loader(request)
    except ImagenetGError:
        raise
    except Exception as exc:  # the source's loader: any exception type, reported in one line naming the model
        raise ModelError(f"model {request.id!r}: source {name!r} ({where}) raised {one_line(exc)}") from exc
    if not isinstance(loaded, SourcedModel):
        raise ModelError(f"model {request.id!r}: source {name!r} ({where}) returned {type(loaded).__name__}, "
                         "not an imagenet_g.evaluate.sources.SourcedModel")
    return loaded


def _distribution(point: EntryPoint) -> str:
    dist = getattr(point, "dist", None)
    return f", from {dist.metadata['Name']} {dist.version}" if dist is not None else ""

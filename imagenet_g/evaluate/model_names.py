"""The model names timm and open_clip know, read from their installed files without importing them (both import
torch, seconds on a loaded machine), so that a misspelt ``--model`` is one line at once, with close matches.

Once a library is imported, its own list is used instead, so that models registered at run time (a user's
``@register_model``, ``open_clip.add_model_config``) are known too. The loaders check again with the libraries
themselves; ``tests/evaluate/test_model_names.py`` checks in a fresh interpreter that each installed list here equals
the library's own.
"""

from __future__ import annotations

import importlib.util
import json
import re
import sys
from collections.abc import Callable
from functools import lru_cache
from pathlib import Path

# timm registers an architecture by decorating its constructor: ``@register_model`` above ``def <name>(``
_REGISTERED = re.compile(r"@register_model\s*\n\s*def\s+(\w+)\s*\(")
# open_clip lists a config file as an architecture when it defines these (open_clip.factory._rescan_model_configs)
_CLIP_KEYS = ("embed_dim", "vision_cfg", "text_cfg")


def _package_folder(name: str) -> Path | None:
    spec = importlib.util.find_spec(name)
    return Path(spec.submodule_search_locations[0]) if spec and spec.submodule_search_locations else None


def _listed(library: str, installed: Callable[[], frozenset[str] | None]) -> frozenset[str] | None:
    """``library.list_models()`` once the library is imported (it then knows models registered at run time), else
    what its installed files list."""
    if library in sys.modules:
        return frozenset(sys.modules[library].list_models())
    return installed()


def timm_names() -> frozenset[str] | None:
    """``timm.list_models()`` (architectures, without pretrained tags); None when timm is not installed."""
    return _listed("timm", installed_timm_names)


def is_timm_model(arch: str) -> bool | None:
    """Whether timm knows the architecture ``arch`` (``timm.is_model`` once timm is imported: a lookup, where
    ``timm.list_models()`` builds the whole list, 5 ms, per model id of a sweep); None when timm is not installed."""
    if "timm" in sys.modules:
        return sys.modules["timm"].is_model(arch)
    names = installed_timm_names()
    return None if names is None else arch in names


@lru_cache(maxsize=1)
def installed_timm_names() -> frozenset[str] | None:
    """The architectures timm's installed files register, read without importing timm."""
    folder = _package_folder("timm")
    if folder is None:
        return None
    names: set[str] = set()
    for path in (folder / "models").glob("*.py"):
        names.update(_REGISTERED.findall(path.read_text(encoding="utf-8")))
    return frozenset(names)


def open_clip_archs() -> frozenset[str] | None:
    """``open_clip.list_models()``; None when open_clip is not installed."""
    return _listed("open_clip", installed_open_clip_archs)


@lru_cache(maxsize=1)
def installed_open_clip_archs() -> frozenset[str] | None:
    """The architectures open_clip's installed config files define, read without importing open_clip."""
    folder = _package_folder("open_clip")
    if folder is None:
        return None
    archs = set()
    for path in (folder / "model_configs").glob("*.json"):
        config = json.loads(path.read_text(encoding="utf-8"))
        if all(key in config for key in _CLIP_KEYS):
            archs.add(path.stem)
    return frozenset(archs)

"""The model names timm and open_clip know, read from their installed files without importing them (both import
torch, seconds on a loaded machine), so that a misspelt ``--model`` is one line at once, with close matches.

The loaders check again with the libraries themselves (``timm.list_models``, ``open_clip.list_models``);
``tests/evaluate/test_model_names.py`` checks that each list here equals the library's own.
"""

from __future__ import annotations

import importlib.util
import json
import re
from functools import lru_cache
from pathlib import Path

# timm registers an architecture by decorating its constructor: ``@register_model`` above ``def <name>(``
_REGISTERED = re.compile(r"@register_model\s*\n\s*def\s+(\w+)\s*\(")
# open_clip lists a config file as an architecture when it defines these (open_clip.factory._rescan_model_configs)
_CLIP_KEYS = ("embed_dim", "vision_cfg", "text_cfg")


def _package_folder(name: str) -> Path | None:
    spec = importlib.util.find_spec(name)
    return Path(spec.submodule_search_locations[0]) if spec and spec.submodule_search_locations else None


@lru_cache(maxsize=1)
def timm_names() -> frozenset[str] | None:
    """``timm.list_models()`` (architectures, without pretrained tags); None when timm is not installed."""
    folder = _package_folder("timm")
    if folder is None:
        return None
    names: set[str] = set()
    for path in (folder / "models").glob("*.py"):
        names.update(_REGISTERED.findall(path.read_text(encoding="utf-8")))
    return frozenset(names)


@lru_cache(maxsize=1)
def open_clip_archs() -> frozenset[str] | None:
    """``open_clip.list_models()``; None when open_clip is not installed."""
    folder = _package_folder("open_clip")
    if folder is None:
        return None
    archs = set()
    for path in (folder / "model_configs").glob("*.json"):
        config = json.loads(path.read_text(encoding="utf-8"))
        if all(key in config for key in _CLIP_KEYS):
            archs.add(path.stem)
    return frozenset(archs)

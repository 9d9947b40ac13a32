"""The ImageNet-1k label space and the class subsets that published numbers depend on.

Everything is read from ``imagenet_g/data`` (package data, see its README for where each file came from), so
the label space costs no torch, timm or open_clip import; ``tests/test_labels.py`` compares the shipped files with
timm and open_clip so that they cannot drift:
- ``imagenet_classes.tsv``: wnids in index order (``timm.data.ImageNetInfo``) and readable CLIP-style class names
  (``open_clip.zero_shot_metadata.IMAGENET_CLASSNAMES``).
- ``templates_openai_imagenet_80.txt`` / ``_simple.txt``: open_clip's prompt templates, ``{}`` marking the name.
- ``imagenet_{r,a}_indices.txt``: ImageNet-R / ImageNet-A 200-class index lists (timm's ``_info``).
- ``imagenet100_wnids.txt``: ImageNet-100, the paper's subset (generative-robustness, MIT).
- ``objectnet/*.json``: ObjectNet 113 classes -> 125 ImageNet indices (imagenet-testbed, MIT).
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Callable

from imagenet_g.errors import ImagenetGError, UnknownNameError, unknown

NUM_CLASSES = 1000


def _data_text(*parts: str) -> str:
    return resources.files("imagenet_g").joinpath("data", *parts).read_text(encoding="utf-8")


@cache
def _class_table() -> tuple[tuple[str, str], ...]:
    """(wnid, name) per class index, from ``data/imagenet_classes.tsv`` (header: index, wnid, name)."""
    rows = [line.split("\t") for line in _data_text("imagenet_classes.tsv").splitlines()[1:]]
    if [int(index) for index, _, _ in rows] != list(range(NUM_CLASSES)):
        raise ImagenetGError("imagenet_g/data/imagenet_classes.tsv is damaged", "reinstall imagenet-g")
    return tuple((wnid, name) for _, wnid, name in rows)


@cache
def wnids() -> tuple[str, ...]:
    """The 1000 ImageNet-1k wnids in class-index order (index 0 = n01440764, tench)."""
    return tuple(wnid for wnid, _ in _class_table())


@cache
def wnid_to_index() -> dict[str, int]:
    """Map a wnid to its ImageNet-1k class index."""
    return {w: i for i, w in enumerate(wnids())}


@cache
def class_names() -> tuple[str, ...]:
    """Readable CLIP-style names in index order; used in prompts. Not unique (see ``unique_class_names``)."""
    return tuple(name for _, name in _class_table())


@cache
def unique_class_names() -> tuple[str, ...]:
    """Class names made unique for ``datasets.ClassLabel``: a repeated name gets its wnid appended.

    The CLIP-style names repeat 'missile' (657, 744) and 'sunglasses' (836, 837); ClassLabel
    rejects duplicates, so those four become e.g. 'missile (n03773504)'.
    """
    names = class_names()
    counts = Counter(names)
    return tuple(n if counts[n] == 1 else f"{n} ({w})" for n, w in zip(names, wnids()))


@dataclass(frozen=True)
class Template:
    """A prompt template: ``text`` with ``{}`` where the class name goes; call it with a name."""

    text: str

    def __call__(self, name: str) -> str:
        return self.text.replace("{}", name)


def _templates(file: str) -> tuple[Template, ...]:
    return tuple(Template(line) for line in _data_text(file).splitlines() if line)


@cache
def templates() -> tuple[Template, ...]:
    """The 80 OpenAI ImageNet prompt templates, in open_clip's order (template_id = position)."""
    return _templates("templates_openai_imagenet_80.txt")


@cache
def simple_templates() -> tuple[Template, ...]:
    """open_clip's short template set (a subset of the 80)."""
    return _templates("templates_openai_imagenet_simple.txt")


def _single_template() -> tuple[Template, ...]:
    """One template for every image, 'a photo of a {}': the paper's single-template ablation."""
    return (Template("a photo of a {}"),)


TEMPLATE_SETS: dict[str, Callable[[], tuple[Template, ...]]] = {
    "openai_imagenet_80": templates,
    "openai_imagenet_simple": simple_templates,
    "single_photo": _single_template,
}


def template_set(name: str) -> tuple[Template, ...]:
    """Return the template set called ``name``; unknown names raise with close matches."""
    if name not in TEMPLATE_SETS:
        raise unknown("template set", name, TEMPLATE_SETS)
    return TEMPLATE_SETS[name]()


def _indices(name: str) -> tuple[int, ...]:
    return tuple(int(line) for line in _data_text(name).split())


@cache
def imagenet_r_indices() -> tuple[int, ...]:
    """The 200 ImageNet indices of ImageNet-R, ascending (= ImageNet-R's own class order)."""
    return _indices("imagenet_r_indices.txt")


@cache
def imagenet_a_indices() -> tuple[int, ...]:
    """The 200 ImageNet indices of ImageNet-A, ascending (= ImageNet-A's own class order)."""
    return _indices("imagenet_a_indices.txt")


@cache
def imagenet100_indices() -> tuple[int, ...]:
    """The paper's ImageNet-100 subset as ascending ImageNet indices."""
    index = wnid_to_index()
    return tuple(sorted(index[w] for w in _data_text("imagenet100_wnids.txt").split()))


@dataclass(frozen=True)
class ObjectNetMapping:
    """ObjectNet's 113 ImageNet-overlapping classes and the ImageNet indices each one accepts.

    ``folder_to_class`` maps ObjectNet's image folder names to its class names (313 folders,
    only the 113 overlapping classes appear in ``class_to_indices``).
    """

    folder_to_class: dict[str, str]
    class_to_indices: dict[str, tuple[int, ...]]

    @property
    def indices(self) -> tuple[int, ...]:
        """The 125 ImageNet indices that some ObjectNet class maps to, ascending."""
        return tuple(sorted({i for idx in self.class_to_indices.values() for i in idx}))

    def index_to_class(self) -> dict[int, str]:
        """Map each of the 125 ImageNet indices to its ObjectNet class."""
        return {i: c for c, idx in self.class_to_indices.items() for i in idx}


@cache
def objectnet_mapping() -> ObjectNetMapping:
    """Load the imagenet-testbed ObjectNet mapping shipped in ``data/objectnet``."""
    folder_to_class = json.loads(_data_text("objectnet", "folder_to_objectnet_label.json"))
    to_imagenet = json.loads(_data_text("objectnet", "objectnet_to_imagenet_1k.json"))
    imagenet_labels = json.loads(_data_text("objectnet", "imagenet_to_labels.json"))
    label_counts = Counter(imagenet_labels.values())
    label_to_index = {v: int(k) for k, v in imagenet_labels.items() if label_counts[v] == 1}
    class_to_indices = {
        cls: tuple(sorted(label_to_index[label] for label in labels.split("; ")))
        for cls, labels in to_imagenet.items()
    }
    return ObjectNetMapping(folder_to_class=folder_to_class, class_to_indices=class_to_indices)


@cache
def objectnet_indices() -> tuple[int, ...]:
    """The 125 ImageNet indices that ObjectNet's 113 overlapping classes map to."""
    return objectnet_mapping().indices


_SUBSETS: dict[str, Callable[[], tuple[int, ...]]] = {
    "imagenet-1k": lambda: tuple(range(NUM_CLASSES)),
    "imagenet-100": imagenet100_indices,
    "imagenet-r-200": imagenet_r_indices,
    "imagenet-a-200": imagenet_a_indices,
    "objectnet-125": objectnet_indices,
}


def subset_indices(name: str) -> tuple[int, ...]:
    """Return the ascending ImageNet indices of a named class subset."""
    if name not in _SUBSETS:
        raise unknown("class subset", name, _SUBSETS)
    return _SUBSETS[name]()


def resolve_classes(selection: str | list[str] | list[int]) -> tuple[int, ...]:
    """Resolve a spec's class selection (subset name, wnids, or indices) to ascending indices."""
    if isinstance(selection, str):
        return subset_indices(selection)
    index = wnid_to_index()
    out: list[int] = []
    for item in selection:
        if isinstance(item, bool):
            raise UnknownNameError(f"class {item!r} is not a wnid or a class index")
        if isinstance(item, int):
            if not 0 <= item < NUM_CLASSES:
                raise UnknownNameError(f"class index {item} is outside 0..{NUM_CLASSES - 1}")
            out.append(item)
        elif item in index:
            out.append(index[item])
        else:
            raise unknown("class", item, index, fix="use a wnid like n01440764 or a class index 0..999")
    if len(set(out)) != len(out):
        raise UnknownNameError("the class list names a class twice; list each class once")
    return tuple(sorted(out))


@cache
def objectnet_groups() -> tuple[tuple[int, ...], ...]:
    """The ImageNet indices of each of ObjectNet's 113 classes, classes in imagenet-testbed's collapsed order.

    imagenet-testbed (``eval_settings/objectnet.py``) numbers the collapsed classes by sorted folder name;
    top-k over collapsed logits breaks ties in that order, so we keep it.
    """
    mapping = objectnet_mapping()
    folder_of = {cls: folder for folder, cls in mapping.folder_to_class.items()}
    return tuple(mapping.class_to_indices[c] for c in sorted(mapping.class_to_indices, key=folder_of.__getitem__))

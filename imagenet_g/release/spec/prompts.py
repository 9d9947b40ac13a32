"""The prompt plan: (split, class, image index) -> template, prompt, seed. Pure: no file, no GPU.

Rules (part of a release's definition; changing them changes every release):

- Order: splits in spec order, then classes by ascending ImageNet index, then image index 0..n-1.
- Template (``round_robin``): ``template_id = (class position * images per class + image index) mod T``,
  where class position is the class's rank in the selection and T the size of the template set. Each class
  walks through consecutive templates, and over the release every template is used equally often (up to one).
- Seed: the first 8 bytes of ``sha256("imagenet-g/<base>/<split>/<class index>/<image index>")`` as a
  big-endian integer, shifted right by one bit so that it is below 2**63 (pyarrow int64).
  It depends on nothing else, so an image never depends on batch size, shard or worker.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from dataclasses import dataclass

from imagenet_g.errors import SpecError, unknown
from imagenet_g.labels import class_names, template_set, wnids
from imagenet_g.release.spec.spec import PlanSpec, ReleaseSpec


@dataclass(frozen=True)
class PromptRow:
    """One planned image."""

    split: str
    class_index: int
    wnid: str
    class_name: str
    image_index: int
    template_id: int | None  # None when the conditioning uses no prompt (images, class)
    prompt: str | None
    seed: int


def seed_for(base: int, split: str, class_index: int, image_index: int) -> int:
    """The seed of one image: a stable sha256-derived int64 in [0, 2**63)."""
    key = f"imagenet-g/{base}/{split}/{class_index}/{image_index}".encode()
    return int.from_bytes(hashlib.sha256(key).digest()[:8], "big") >> 1


def _template_id_for(class_position: int, images_per_class: int, image_index: int, num_templates: int) -> int:
    """The round-robin template of one image (see module docstring)."""
    return (class_position * images_per_class + image_index) % num_templates


def _iter_split(plan: PlanSpec, split: str, prompts: bool = True) -> Iterator[PromptRow]:
    """Every planned image of one split, in release order, one at a time (a preview of a huge plan is instant);
    without templates and prompts when ``prompts`` is false (conditioning on images or class indices alone)."""
    if split not in plan.splits:
        raise unknown("split", split, plan.splits, error=SpecError)
    per_class = plan.splits[split]
    templates = template_set(plan.templates)
    names, ids = class_names(), wnids()
    for position, index in enumerate(plan.class_indices()):
        for image_index in range(per_class):
            template_id = _template_id_for(position, per_class, image_index, len(templates))
            yield PromptRow(
                split=split,
                class_index=index,
                wnid=ids[index],
                class_name=names[index],
                image_index=image_index,
                template_id=template_id if prompts else None,
                prompt=templates[template_id](names[index]) if prompts else None,
                seed=seed_for(plan.base_seed, split, index, image_index),
            )


def iter_prompts(spec: ReleaseSpec, splits: tuple[str, ...] | None = None) -> Iterator[PromptRow]:
    """The prompt plan of the chosen splits (all by default), lazily, in release order.

    Example:
        >>> from itertools import islice
        >>> from imagenet_g.release import iter_prompts, load_release
        >>> [row.prompt for row in islice(iter_prompts(load_release("v1").spec), 3)]
        ['a bad photo of a tench.', 'a photo of many tench.', 'a sculpture of a tench.']
    """
    for split in splits if splits is not None else tuple(spec.plan.splits):
        yield from _iter_split(spec.plan, split, spec.conditioning.uses_prompts)


def _plan_split(plan: PlanSpec, split: str, prompts: bool = True) -> tuple[PromptRow, ...]:
    """Every planned image of one split, in release order (see ``_iter_split``)."""
    return tuple(_iter_split(plan, split, prompts))


def plan_prompts(spec: ReleaseSpec, splits: tuple[str, ...] | None = None) -> dict[str, tuple[PromptRow, ...]]:
    """The full prompt plan of a release: split -> rows. Seeds are checked unique across the release.

    Example:
        >>> from imagenet_g.release import load_release, plan_prompts
        >>> plan = plan_prompts(load_release("smoke").spec)
        >>> len(plan["test"])
        20
        >>> row = plan["test"][1]
        >>> row.class_name, row.image_index, row.template_id, row.prompt
        ('tench', 1, 1, 'a photo of many tench.')
    """
    chosen = splits if splits is not None else tuple(spec.plan.splits)
    plan = {split: _plan_split(spec.plan, split, spec.conditioning.uses_prompts) for split in chosen}
    seeds = [row.seed for rows in plan.values() for row in rows]
    if len(set(seeds)) != len(seeds):  # 63-bit hashes: practically impossible, but uniqueness is promised
        raise SpecError("plan.base_seed: gives a repeated image seed; choose another base_seed")
    return plan

"""One function decides a model's preprocessing; the frozen result builds the transform and is recorded.

The transform is timm's own eval transform (``timm.data.create_transform``, prefetcher form: PIL resize
and crop, then a uint8 CHW tensor); normalisation happens on the batch, as timm's ``PrefetchLoader``
does it, so our inputs are the very tensors ``validate.py`` feeds the model.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from imagenet_g.errors import UnknownNameError, close_matches

# The keys timm's resolve_data_config reads from its ``args`` (overrides beat the model's pretrained_cfg).
OVERRIDE_KEYS = ("input_size", "img_size", "crop_pct", "crop_mode", "interpolation", "mean", "std")


@dataclass(frozen=True)
class PreprocessConfig:
    """Resolved eval preprocessing: resize to input/crop_pct, centre crop, normalise with mean/std."""

    input_size: tuple[int, int, int]
    crop_pct: float
    crop_mode: str
    interpolation: str
    mean: tuple[float, ...]
    std: tuple[float, ...]
    crop_border_pixels: int = 0  # ObjectNet: trim its 1-2 pixel frame first (timm TrimBorder)

    def with_border(self, pixels: int) -> PreprocessConfig:
        """The same config with a border of ``pixels`` trimmed off each edge before resizing."""
        return dataclasses.replace(self, crop_border_pixels=pixels)

    def pixel_key(self) -> tuple:
        """Everything that decides the uint8 pixels; configs with equal keys share one decoded batch."""
        return ("timm", self.input_size, self.crop_pct, self.crop_mode, self.interpolation, self.crop_border_pixels)

    def pil_transform(self) -> Callable:
        """PIL image -> uint8 CHW tensor, exactly timm's eval transform with the prefetcher on."""
        from timm.data import create_transform

        return create_transform(
            self.input_size,
            is_training=False,
            interpolation=self.interpolation,
            crop_pct=self.crop_pct,
            crop_mode=self.crop_mode,
            crop_border_pixels=self.crop_border_pixels or None,
            use_prefetcher=True,
        )

    def as_dict(self) -> dict[str, object]:
        """The config as recorded in the results JSON."""
        fields = dataclasses.asdict(self)
        return {"kind": "timm", **{k: list(v) if isinstance(v, tuple) else v for k, v in fields.items()}}


def resolve_preprocess(model, overrides: Mapping[str, object] | None = None) -> PreprocessConfig:
    """Override > the model's ``pretrained_cfg`` > timm defaults, via timm's ``resolve_data_config``.

    ``use_test_size=True`` as in timm's validate.py (models with a separate test resolution use it).
    """
    from timm.data import resolve_data_config

    overrides = dict(overrides or {})
    for key in overrides:
        if key not in OVERRIDE_KEYS:
            raise UnknownNameError(
                f"unknown preprocessing override {key!r}{close_matches(key, OVERRIDE_KEYS)}; "
                f"choose from: {', '.join(OVERRIDE_KEYS)}"
            )
    cfg = resolve_data_config(args=overrides, model=model, use_test_size=True)
    return PreprocessConfig(
        input_size=tuple(int(v) for v in cfg["input_size"]),
        crop_pct=float(cfg["crop_pct"]),
        crop_mode=str(cfg.get("crop_mode") or "center"),
        interpolation=str(cfg["interpolation"]),
        mean=tuple(float(v) for v in cfg["mean"]),
        std=tuple(float(v) for v in cfg["std"]),
    )

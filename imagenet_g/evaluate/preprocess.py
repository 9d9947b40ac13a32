"""One function decides a model's preprocessing; the frozen result builds the transform and is recorded.

The transform is timm's own eval transform (``timm.data.create_transform``, prefetcher form: PIL resize
and crop, then a uint8 CHW tensor); normalisation happens on the batch, as timm's ``PrefetchLoader``
does it, so our inputs are the very tensors ``validate.py`` feeds the model.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from imagenet_g.errors import ModelError, unknown

# The keys timm's resolve_data_config reads from its ``args`` (overrides beat the model's pretrained_cfg).
_OVERRIDE_KEYS = ("input_size", "img_size", "crop_pct", "crop_mode", "interpolation", "mean", "std")
# timm's str_to_interp_mode names and its eval crop modes (timm/data/transforms.py, transforms_factory.py)
_INTERPOLATIONS = ("nearest", "bilinear", "bicubic", "box", "hamming", "lanczos")
_CROP_MODES = ("center", "squash", "border")
MAX_INPUT_SIZE = 4096  # pixels a side: above the largest timm eval size (1024, SAM ViTs); a larger one only exhausts memory


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

    def describe(self) -> str:
        """One line for people: what the transform does to each image, in order."""
        _, h, w = self.input_size
        border = f"trim {self.crop_border_pixels} px border, " if self.crop_border_pixels else ""
        resize = f"resize to {h}/{self.crop_pct:g}" if self.crop_mode == "center" else f"{self.crop_mode} resize"
        mean = ", ".join(f"{v:g}" for v in self.mean)
        std = ", ".join(f"{v:g}" for v in self.std)
        return (f"{border}{resize} ({self.interpolation}), {self.crop_mode} crop {h}x{w}, "
                f"normalise mean ({mean}) std ({std})")

    def as_dict(self) -> dict[str, object]:
        """The config as recorded in the results JSON."""
        fields = dataclasses.asdict(self)
        return {"kind": "timm", **{k: list(v) if isinstance(v, tuple) else v for k, v in fields.items()}}


def recorded_overrides(recorded: Mapping[str, object]) -> dict[str, object]:
    """The overrides that give a recorded timm config (``PreprocessConfig.as_dict``) again; none for a model that
    brought its own transform (open_clip, a custom transform), whose preprocessing comes with the model."""
    if recorded.get("kind") != "timm":
        return {}
    return {key: tuple(value) if isinstance(value, list) else value
            for key, value in recorded.items() if key in _OVERRIDE_KEYS}


def check_overrides(overrides: Mapping[str, object]) -> dict[str, object]:
    """Validate preprocessing overrides (names and values) before any model is built."""
    out = dict(overrides)
    for key, value in out.items():
        if key not in _OVERRIDE_KEYS:
            raise unknown("preprocessing override", key, _OVERRIDE_KEYS)
        if key == "interpolation" and value not in _INTERPOLATIONS:
            raise unknown("interpolation", value, _INTERPOLATIONS)
        if key == "crop_mode" and value not in _CROP_MODES:
            raise unknown("crop mode", value, _CROP_MODES)
        if key == "crop_pct" and not (isinstance(value, (int, float)) and 0 < value <= 1):
            raise ModelError(f"crop_pct {value!r} must lie in (0, 1]: the share of the resized image kept")
        if key in ("input_size", "img_size"):
            sizes = value if isinstance(value, (tuple, list)) else (value,)
            if not all(isinstance(v, int) and v > 0 for v in sizes):
                raise ModelError(f"input size {value!r} must be positive whole pixels")
            if max(sizes) > MAX_INPUT_SIZE:
                raise ModelError(f"input size {value!r} is over {MAX_INPUT_SIZE:,} pixels a side; give a smaller one")
            if key == "input_size" and (len(sizes) != 3 or sizes[0] != 3):
                raise ModelError(f"input size {value!r} must be (3, height, width): images are scored as RGB")
        if key in ("mean", "std"):
            values = tuple(value) if isinstance(value, (tuple, list)) else ()
            if len(values) != 3 or not all(isinstance(v, (int, float)) for v in values):
                raise ModelError(f"{key} {value!r} needs 3 numbers, one per RGB channel")
            if key == "std" and min(values) <= 0:
                raise ModelError(f"std {value!r} must be positive in every channel")
            low = "[0" if key == "mean" else "(0"
            if not all((0 <= v if key == "mean" else 0 < v) and v <= 1 for v in values):
                raise ModelError(f"{key} {value!r} must lie in {low}, 1] in every channel: pixels are scaled to [0, 1]")
    return out


def requests_size(overrides: Mapping[str, object]) -> bool:
    """True when the overrides ask for an input size (which timm builds into models made for one size)."""
    return any(overrides.get(key) is not None for key in ("input_size", "img_size"))


def resolve_preprocess(model, overrides: Mapping[str, object] | None = None) -> PreprocessConfig:
    """Override > the model's ``pretrained_cfg`` > timm defaults, via timm's ``resolve_input_data_config``.

    Called as timm's validate.py calls it (``use_test_size=True``: models with a separate test resolution use
    it); a size a fixed-size model was not built for is refused, as validate.py refuses it.

    Example:
        >>> import timm
        >>> from imagenet_g.evaluate import resolve_preprocess
        >>> model = timm.create_model("resnet18", pretrained=False)  # resnet18.a1_in1k's config: tested at 288 px
        >>> config = resolve_preprocess(model, {"interpolation": "bilinear"})
        >>> config.input_size, config.crop_pct, config.interpolation
        ((3, 288, 288), 1.0, 'bilinear')
    """
    from timm.data import resolve_input_data_config

    overrides = check_overrides(overrides or {})
    try:
        cfg = resolve_input_data_config(model, dict(overrides), use_test_size=True)
    except ValueError as exc:  # timm: 'Requested image size (256, 256), but the model requires (224, 224).'
        raise ModelError(f"{' '.join(str(exc).split())}",
                         "build the model for that size (timm ids are), or leave {input_size} at its default") from exc
    return PreprocessConfig(
        input_size=tuple(int(v) for v in cfg["input_size"]),
        crop_pct=float(cfg["crop_pct"]),
        crop_mode=str(cfg.get("crop_mode") or "center"),
        interpolation=str(cfg["interpolation"]),
        mean=tuple(float(v) for v in cfg["mean"]),
        std=tuple(float(v) for v in cfg["std"]),
    )

"""The trained network: a timm architecture from scratch, the paper's blur-pool, and its 1000-class view.

Blur-pool as the paper's code applies it (ffcv-imagenet's ``BlurPoolConv2d``): every ``Conv2d`` with a stride
above 1 and at least 16 input channels is preceded by a fixed binomial 3x3 blur with zero padding and stride 1,
here timm's ``BlurPool2d(channels, filt_size=3, stride=1, pad_mode='constant')``.
"""

from __future__ import annotations

import torch
from torch import nn

from imagenet_g import labels
from imagenet_g.errors import ModelError, unknown
from imagenet_g.train.recipe import ModelConfig

_BLURPOOL_MIN_CHANNELS = 16


def apply_blurpool(module: nn.Module) -> int:
    """Put a blur before every strided conv with >= 16 input channels, in place; returns how many."""
    from timm.layers import BlurPool2d

    count = 0
    for name, child in module.named_children():
        if isinstance(child, nn.Conv2d) and max(child.stride) > 1 and child.in_channels >= _BLURPOOL_MIN_CHANNELS:
            blur = BlurPool2d(child.in_channels, filt_size=3, stride=1, pad_mode="constant")
            setattr(module, name, nn.Sequential(blur, child))
            count += 1
        else:
            count += apply_blurpool(child)
    return count


def build_model(config: ModelConfig, num_classes: int) -> nn.Module:
    """A randomly initialised timm model with ``num_classes`` outputs (seed the global RNG first)."""
    import timm

    if not timm.is_model(config.arch):
        raise unknown("timm model", config.arch, timm.list_models(), fix="set the recipe's model.arch to a timm name")
    try:
        model = timm.create_model(config.arch, pretrained=False, num_classes=num_classes, **config.kwargs)
    except TypeError as exc:
        raise ModelError(f"timm cannot build {config.arch!r} with {config.kwargs}: {exc}",
                         fix="correct the recipe's model.kwargs") from None
    if config.blurpool:
        apply_blurpool(model)
    return model


class ImageNetLogits(nn.Module):
    """A model over a label space seen as an ImageNet-1k classifier: output ``k`` goes to ImageNet index
    ``classes[k]``; the other indices get half the lowest finite logit, so they are never predicted and the sum of
    two views' logits (flip test-time augmentation) is still finite, as eval requires."""

    def __init__(self, model: nn.Module, classes: tuple[int, ...]) -> None:
        super().__init__()
        self.model = model
        self.pretrained_cfg = getattr(model, "pretrained_cfg", {})
        self.register_buffer("classes", torch.tensor(classes, dtype=torch.long), persistent=False)

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        logits = self.model(images)
        if logits.shape[1] == labels.NUM_CLASSES:
            return logits
        out = logits.new_full((logits.shape[0], labels.NUM_CLASSES), torch.finfo(logits.dtype).min / 2)
        out[:, self.classes] = logits
        return out

"""A recipe's optimizer: timm's ``create_optimizer_v2`` with the recipe's weight-decay grouping (``no_decay``).

- ``norm-and-bias``, timm's rule (``filter_bias_and_bn``): no decay on any 1-D parameter (norm weights and biases,
  every bias) nor on the names of the model's ``no_weight_decay()``;
- ``bn-in-name``, the paper's code (generative-robustness ``train/train_imagenet.py``, ``create_optimizer``): no decay
  on the parameters whose name contains ``bn``, decay on all others. In a ResNet that leaves the batch norms of
  the downsample branches (``downsample.1``) and the classifier's bias decayed, which timm's rule does not;
- ``none``: every parameter is decayed.
"""

from __future__ import annotations

import torch

from imagenet_g.errors import unknown
from imagenet_g.train.recipe import OptimizerConfig


def _bn_in_name_groups(model: torch.nn.Module, weight_decay: float) -> list[dict]:
    """The paper's code's two parameter groups: names containing 'bn' without weight decay, then the rest with it."""
    named = list(model.named_parameters())
    return [{"params": [p for name, p in named if "bn" in name], "weight_decay": 0.0},
            {"params": [p for name, p in named if "bn" not in name], "weight_decay": weight_decay}]


def build_optimizer(model: torch.nn.Module, config: OptimizerConfig, lr: float) -> torch.optim.Optimizer:
    """The recipe's optimizer over ``model``'s parameters at peak learning rate ``lr``."""
    from timm.optim import create_optimizer_v2

    groups = (lambda m: _bn_in_name_groups(m, config.weight_decay)) if config.no_decay == "bn-in-name" else None
    try:
        return create_optimizer_v2(
            model, opt=config.name, lr=lr, weight_decay=config.weight_decay, momentum=config.momentum,
            filter_bias_and_bn=config.no_decay == "norm-and-bias", param_group_fn=groups,
        )
    except (ValueError, AssertionError):
        from timm.optim import list_optimizers

        raise unknown("timm optimizer", config.name, list_optimizers(),
                      fix="set the recipe's optimizer.name to a timm optimizer (momentum: SGD)") from None

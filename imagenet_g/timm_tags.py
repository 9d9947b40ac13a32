"""What a timm pretrained tag says about the data its weights were trained on.

timm names each set of weights ``<architecture>.<tag>``, and the tag's ``_``-separated words name the recipe and
the data: ``tv_in1k`` (torchvision's recipe, ImageNet-1k), ``augreg_in21k_ft_in1k`` (pretrained on ImageNet-21k,
fine-tuned on 1k), ``fb_swsl_ig1b_ft_in1k`` (Instagram 1B). ``_MORE_DATA_WORDS`` are the words that name data beyond
ImageNet-1k, read off every tag of timm 1.0.31 with a 1000-class head. A distillation teacher's data is not in the
tag: ``resnetv2_50x1_bit.goog_distilled_in1k`` names none, though its teacher was pretrained on ImageNet-21k.
"""

from __future__ import annotations

_MORE_DATA_WORDS = frozenset({
    "in12k", "in21k", "in22k", "laion2b", "laiona", "clip", "openai", "jft", "ns", "ig1b", "swsl", "ssl", "swag",
    "seer", "yfcc100m", "m30m", "m38m", "webli", "ssld", "6m",
})


def names_more_data(model: str) -> bool:
    """True when the pretrained tag of ``model`` (``architecture.tag``) names training data beyond ImageNet-1k."""
    return bool(_MORE_DATA_WORDS & set(model.partition(".")[2].split("_")))

"""The FID network: torch-fidelity's Inception-v3 (pool3, 2048-d) from its weights file, prepared for inference.

torchmetrics' ``FrechetInceptionDistance`` runs this network as torch-fidelity defines it. Two changes make ours
about 1.4x faster on CPU (with channels_last, which ``features.extract`` applies, about 1.6x; measured in
``benchmark/audit_throughput.py``), both exact in real arithmetic, different only by float rounding
(~1e-7 relative; the tests compare with torchmetrics' network from the same file):

- each ``BasicConv2d``'s batch norm (in eval mode a per-channel affine map) is folded into its convolution by
  ``torch.nn.utils.fusion.fuse_conv_bn_eval``: one pass less over every activation map (~9% of the time);
- the network's resize to 299x299 (TF1-style bilinear, an index gather over the batch: ~3%) is skipped for inputs
  that are already 299x299, where it is the identity (bit-exact: checked in the tests).
"""

from __future__ import annotations

import os
import pickle
from pathlib import Path

import torch

from imagenet_g.errors import ModelError

# torch-fidelity's Inception-v3 weights (converted from the TF FID graph); the file torchmetrics' FID loads too
INCEPTION_FILE = "weights-inception-2015-12-05-6726825d.pth"
_INPUT_SIZE = 299
# the order torch-fidelity's forward runs its blocks in, up to the 2048-d pool3 features
_BLOCKS = ("Conv2d_1a_3x3", "Conv2d_2a_3x3", "Conv2d_2b_3x3", "MaxPool_1", "Conv2d_3b_1x1", "Conv2d_4a_3x3",
           "MaxPool_2", "Mixed_5b", "Mixed_5c", "Mixed_5d", "Mixed_6a", "Mixed_6b", "Mixed_6c", "Mixed_6d",
           "Mixed_6e", "Mixed_7a", "Mixed_7b", "Mixed_7c", "AvgPool")


def _offline() -> bool:
    return os.environ.get("HF_HUB_OFFLINE", "").lower() in ("1", "true", "yes")


def weights_path(weights: Path | None) -> Path:
    """The Inception-v3 weights file to load: the given one, else torch hub's cache (downloaded when online)."""
    if weights is not None:
        if not Path(weights).is_file():
            raise ModelError(f"Inception-v3 weights file {weights} does not exist",
                             f"set {{inception_weights}} to the path of {INCEPTION_FILE}")
        return Path(weights)
    cached = Path(torch.hub.get_dir()) / "checkpoints" / INCEPTION_FILE
    if cached.is_file():
        return cached
    from torch_fidelity.feature_extractor_inceptionv3 import URL_INCEPTION_V3

    if _offline():
        raise ModelError(f"no Inception-v3 FID weights offline (looked for {cached})",
                         f"download {URL_INCEPTION_V3} once and put it there, or set {{inception_weights}} to the file")
    try:
        cached.parent.mkdir(parents=True, exist_ok=True)
        torch.hub.download_url_to_file(URL_INCEPTION_V3, str(cached), progress=False)
    except OSError as exc:
        raise ModelError(f"cannot download the Inception-v3 FID weights ({exc})",
                         f"fetch {URL_INCEPTION_V3} to {cached}, or set {{inception_weights}} to the file") from None
    return cached


class _ConvReLU(torch.nn.Module):
    """A ``BasicConv2d`` with its batch norm folded into the convolution."""

    def __init__(self, conv: torch.nn.Conv2d) -> None:
        super().__init__()
        self.conv = conv

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.nn.functional.relu(self.conv(x), inplace=True)


class _FidInception(torch.nn.Module):
    """uint8 (B, 3, H, W) -> (B, 2048) pool3 features, as torch-fidelity's ``FeatureExtractorInceptionV3``."""

    def __init__(self, net: torch.nn.Module) -> None:
        super().__init__()
        from torch_fidelity.feature_extractor_inceptionv3 import BasicConv2d

        net = net.eval()
        for parent in list(net.modules()):
            for name, child in list(parent.named_children()):
                if isinstance(child, BasicConv2d):
                    setattr(parent, name, _ConvReLU(torch.nn.utils.fusion.fuse_conv_bn_eval(child.conv, child.bn)))
        self.blocks = torch.nn.ModuleList(getattr(net, name) for name in _BLOCKS)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        from torch_fidelity.interpolate_compat_tensorflow import interpolate_bilinear_2d_like_tensorflow1x

        x = x.to(torch.float32)
        if tuple(x.shape[-2:]) != (_INPUT_SIZE, _INPUT_SIZE):
            x = interpolate_bilinear_2d_like_tensorflow1x(x, size=(_INPUT_SIZE, _INPUT_SIZE), align_corners=False)
        x = (x - 128) / 128
        for block in self.blocks:
            x = block(x)
        return torch.flatten(x, 1)


def load_fid_inception(path: Path) -> _FidInception:
    """torch-fidelity's Inception-v3 from ``path``, prepared for inference."""
    from torch_fidelity.feature_extractor_inceptionv3 import FeatureExtractorInceptionV3

    try:
        net = FeatureExtractorInceptionV3("inception-v3-compat", ["2048"], feature_extractor_weights_path=str(path))
    except (RuntimeError, OSError, EOFError, ValueError, pickle.UnpicklingError) as exc:
        raise ModelError(f"{path} is not torch-fidelity's Inception-v3 state dict ({type(exc).__name__})",
                         f"set {{inception_weights}} to {INCEPTION_FILE}") from None
    return _FidInception(net).eval()

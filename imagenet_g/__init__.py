"""ImageNet-G: a versioned generated test set and robustness benchmark for image classifiers."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("imagenet-g")
except PackageNotFoundError:  # running from a source tree that was never installed
    __version__ = "0.0.0+unknown"

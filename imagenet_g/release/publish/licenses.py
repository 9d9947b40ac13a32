"""The license each generator's outputs come under, for the dataset card (Hub license ids)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class License:
    """A license as the Hub card names it: its Hub id, its name and where to read it."""

    id: str
    name: str
    link: str


_OPENRAIL_M = License(
    "creativeml-openrail-m", "CreativeML OpenRAIL-M", "https://huggingface.co/spaces/CompVis/stable-diffusion-license"
)
# Read from each model's own card on the Hub.
_GENERATOR_LICENSES: dict[str, License] = {
    "stable-diffusion-v1-5/stable-diffusion-v1-5": _OPENRAIL_M,
    "lambdalabs/sd-image-variations-diffusers": _OPENRAIL_M,
    "facebook/DiT-XL-2-256": License("cc-by-nc-4.0", "CC BY-NC 4.0", "https://creativecommons.org/licenses/by-nc/4.0/"),
    "black-forest-labs/FLUX.1-schnell": License("apache-2.0", "Apache 2.0", "https://www.apache.org/licenses/LICENSE-2.0"),
}
_TINY_LICENSE = License("mit", "MIT (random weights built in code by imagenet-g)", "https://opensource.org/licenses/MIT")


def generator_license(source: str, model: str) -> License:
    """The license of a generator's outputs; a model we have not recorded points at its own Hub card."""
    if source == "tiny":
        return _TINY_LICENSE
    return _GENERATOR_LICENSES.get(model) or License("other", f"the license of {model}", f"https://huggingface.co/{model}")

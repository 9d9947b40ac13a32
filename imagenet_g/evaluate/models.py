"""Model ids -> one ``LoadedModel``: parse the id once, dispatch through a registry of loaders.

Ids (cf. open_clip ``parse_model_name``, CLIP_benchmark ``models/__init__.py``):

- ``resnet50``, ``resnet50.a1_in1k``, ``timm/resnet50.a1_in1k``: timm (``timm.create_model``; pretrained
  weights through timm's own Hub loading).
- ``open_clip:<arch>/<pretrained>``: open_clip with a zero-shot head (1000 class names x 80 templates).
- ``hf-hub:<org>/<name>``: timm's spelling of a timm model on the Hugging Face Hub.
- ``<source>:<spec>``: a model source an installed package declares in the entry-point group
  ``imagenet_g.model_sources`` (``imagenet_g.evaluate.sources``), e.g. ``train:<run>/<arch>`` for a run of
  ``imagenet-g train``. A source's name wins over a module of the same name.
- ``package.module:callable``: the user's own code, returning a torch module or ``(module, transform)``.

``load_model`` also takes a ``torch.nn.Module`` itself (RobustBench-style, from Python), with an optional
transform (PIL image -> float tensor) or preprocessing overrides of the timm config it otherwise gets. What an id
loads with besides itself (weights, seed, overrides, ...) is one ``LoadOptions``.
"""

from __future__ import annotations

import dataclasses
import importlib
import importlib.util
import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from imagenet_g import labels
from imagenet_g.errors import ModelError, UnknownNameError, one_line, unknown
from imagenet_g.evaluate.model_names import is_timm_model, open_clip_archs, timm_names
from imagenet_g.evaluate.preprocess import PreprocessConfig, check_overrides, requests_size, resolve_preprocess
from imagenet_g.evaluate.sources import SourceRequest, installed_sources, load_with_source
from imagenet_g.files import sha256_file, state_dict_sha256
from imagenet_g.progress import quiet_root_logger
from imagenet_g.results import ModelSource

OPEN_CLIP_PREFIX = "open_clip:"
_HF_HUB_PREFIX = "hf-hub:"  # timm loads these itself
_log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ModelId:
    """A parsed model id: which loader, and what it loads."""

    raw: str
    source: ModelSource
    name: str
    tag: str | None = None  # pretrained tag (timm '<name>.<tag>', open_clip '<arch>/<tag>')


@dataclass(frozen=True)
class LoadedModel:
    """A classifier ready to score: 1000 ImageNet logits per image, and how its inputs are made.

    Either ``preprocess`` is set (timm-style config: the prediction loop decodes to uint8 once and normalises on
    the batch) or ``transform`` is (an opaque PIL -> float tensor callable the model brought along).
    """

    id: str
    source: ModelSource
    module: object
    preprocess: PreprocessConfig | None
    transform: Callable | None
    preprocess_info: dict[str, object]
    pretrained: bool | str
    checkpoint: str | None = None
    weights_sha256: str | None = None
    extra: dict[str, object] = field(default_factory=dict)


def parse_model_id(model_id: str) -> ModelId:
    """Split a model id into source, name and tag; no imports, no loading.

    Example:
        >>> from imagenet_g.evaluate import parse_model_id
        >>> parse_model_id("timm/convnext_tiny.fb_in1k")
        ModelId(raw='timm/convnext_tiny.fb_in1k', source='timm', name='convnext_tiny.fb_in1k', tag='fb_in1k')
        >>> parse_model_id("open_clip:ViT-B-32/openai")
        ModelId(raw='open_clip:ViT-B-32/openai', source='open_clip', name='ViT-B-32', tag='openai')
    """
    text = model_id.strip()
    if not text:
        raise UnknownNameError("empty model id; give a timm name (resnet50), open_clip:<arch>/<tag> or pkg.module:fn")
    if text.startswith(OPEN_CLIP_PREFIX):
        arch, _, tag = text[len(OPEN_CLIP_PREFIX):].partition("/")
        if not arch:
            raise UnknownNameError(
                f"model id {model_id!r} names no open_clip architecture; use open_clip:ViT-B-32/openai"
            )
        return ModelId(text, "open_clip", arch, tag or None)
    prefix, colon, spec = text.partition(":")
    if colon and not text.startswith(_HF_HUB_PREFIX):
        if prefix in _installed_names():
            return ModelId(text, prefix, spec)
        module, attr = prefix, spec
        if not module or not attr:
            raise UnknownNameError(f"custom model id {model_id!r} must look like package.module:callable")
        return ModelId(text, "custom", text)
    name = text.removeprefix("timm/")  # 'timm/<name>.<tag>' is the Hub spelling of timm's '<name>.<tag>'
    arch, _, tag = name.partition(".")
    return ModelId(text, "timm", name, tag or None)


def check_model_id(model_id: str) -> ModelId:
    """Parse a model id and check its name without importing torch (or timm, open_clip, the user's module): a timm
    architecture against ``timm.list_models()``, an open_clip one against ``open_clip.list_models()`` (both read from
    the installed files), a module's package against the installed ones. Pretrained tags are checked on loading."""
    mid = parse_model_id(model_id)
    if mid.source == "timm" and not mid.name.startswith(_HF_HUB_PREFIX):
        arch = mid.name.split(".")[0]
        if is_timm_model(arch) is False:
            raise _unknown_timm(arch, timm_names())
    elif mid.source == "open_clip" and not mid.name.startswith(_HF_HUB_PREFIX):
        if (known := open_clip_archs()) is not None and mid.name not in known:
            raise _unknown_open_clip(mid.name, known)
    elif mid.source == "custom":
        module_name = mid.name.partition(":")[0]
        if importlib.util.find_spec(module_name.split(".")[0]) is None:
            raise _not_importable(mid, module_name, f"No module named {module_name.split('.')[0]!r}")
    return mid


def _unknown_timm(arch: str, known) -> UnknownNameError:
    return unknown("timm model", arch, sorted(known), fix="name a model that timm.list_models() lists")


def _unknown_open_clip(arch: str, known) -> UnknownNameError:
    return unknown("open_clip model", arch, sorted(known), fix="name an architecture that open_clip.list_models() lists")


def _not_importable(mid: ModelId, module_name: str, why: str) -> UnknownNameError:
    """A custom id whose module cannot be imported; 'name:...' with no dot may have meant a model source."""
    if "." not in module_name:
        return unknown("model source", module_name, _source_names(), otherwise="give package.module:callable")
    return UnknownNameError(f"cannot import {module_name!r} for model {mid.raw!r}: {why}")


def _source_names() -> list[str]:
    """The prefixes a model id may start with: the built-in ones, then those installed packages declare."""
    return [OPEN_CLIP_PREFIX[:-1], _HF_HUB_PREFIX[:-1], *_installed_names()]


def _installed_names() -> list[str]:
    """The installed sources' names, less any that would shadow a built-in source."""
    return sorted(set(installed_sources()) - set(LOADERS) - {OPEN_CLIP_PREFIX[:-1], _HF_HUB_PREFIX[:-1]})


def _check_checkpoint(checkpoint: Path | None) -> Path | None:
    if checkpoint is not None and not Path(checkpoint).is_file():
        raise ModelError(f"checkpoint {str(checkpoint)!r} is not a file; give the path of a saved state dict")
    return checkpoint


def _load_state(module, checkpoint: Path, model_name: str) -> None:
    """Load a local state dict strictly as timm's ``load_checkpoint`` does ('state_dict'/'model' keys, safetensors;
    a model's own .npz/.npy format through the model), a file that cannot be read told apart from one that does not
    fit the model."""
    from timm.models import load_checkpoint

    path = str(checkpoint)
    state = None if Path(path).suffix.lower() in (".npz", ".npy") else _read_state(path)
    try:
        if state is None:
            load_checkpoint(module, path, strict=True)
        else:
            module.load_state_dict(state, strict=True)
    except (RuntimeError, KeyError, ValueError, OSError, NotImplementedError) as exc:
        first = " ".join(str(exc).split())[:300]
        raise ModelError(f"checkpoint {path!r} does not fit {model_name!r}: {first}") from exc


def _read_state(path: str) -> dict:
    """A checkpoint file's state dict (timm's ``load_state_dict``); a file that is none is one short line with the
    first sentence of the reader's own text (torch's runs to thousands of characters)."""
    from timm.models import load_state_dict

    try:
        return load_state_dict(path)
    except Exception as exc:  # a file that is no checkpoint at all fails deep inside unpickling, with any type
        reader = "safetensors" if path.endswith(".safetensors") else "torch.load"
        first = (str(exc).strip().splitlines() or [type(exc).__name__])[0].split(". ")[0]  # the first sentence
        first = first if len(first) <= 200 else first[:199] + "…"
        raise ModelError(f"checkpoint {path!r} cannot be read as a state dict ({reader}: {first})",
                         "give a .pth/.pt/.safetensors state dict as {checkpoint}") from exc


def _weights(checkpoint: Path | None, module) -> dict[str, str | None]:
    """The checkpoint path and the sha256 identifying the weights (of the file, else of the state dict)."""
    return {
        "checkpoint": str(checkpoint) if checkpoint else None,
        "weights_sha256": sha256_file(Path(checkpoint)) if checkpoint else state_dict_sha256(module),
    }


def _create_timm(mid: ModelId, pretrained: bool, overrides: dict):
    """``timm.create_model`` as timm's validate.py calls it: ``resolve_model_input_args`` builds a requested
    input size into models made for one size (ViTs: ``img_size``, their position embedding resampled when
    pretrained weights load)."""
    import timm
    from timm.models import resolve_model_input_args

    try:
        return timm.create_model(**resolve_model_input_args(mid.name, overrides, pretrained=pretrained))
    except (TypeError, ValueError) as exc:  # a size the architecture cannot be built for, or conflicting sizes
        if not requests_size(overrides):
            raise
        raise ModelError(f"timm model {mid.raw!r} cannot be built for input size {_size(overrides)}: "
                         f"{one_line(exc)}", "leave {input_size} at the model's default") from exc


def _size(overrides: dict) -> str:
    size = overrides.get("input_size") or overrides.get("img_size")
    h, w = (size[-2:] if isinstance(size, (tuple, list)) else (size, size))
    return f"{h}x{w}"


def _check_input_size(module, preprocess: PreprocessConfig, model_id: str) -> None:
    """One forward pass of a blank image at the requested size, so that a size the model cannot take is a
    one-line error before any image is read (crossvit at 250: token counts differ; kernels above the size)."""
    import torch

    with torch.inference_mode():
        try:
            module.eval()(torch.zeros(1, *preprocess.input_size))
        except Exception as exc:  # the model's own checks: any exception type, reported in one line
            _, h, w = preprocess.input_size
            raise ModelError(f"model {model_id!r} cannot take input size {h}x{w}: {one_line(exc)}",
                             "choose a size the model supports, or leave {input_size} at its default") from exc


def _check_timm(mid: ModelId) -> None:
    import timm

    arch = mid.name.split(".")[0]
    if not timm.is_model(arch):
        raise _unknown_timm(arch, timm.list_models())
    tag = mid.name.partition(".")[2]
    tags = [m.partition(".")[2] for m in timm.list_pretrained(f"{arch}.*")]
    if tag and tag not in tags:  # timm would raise 'Invalid pretrained tag'
        raise unknown("pretrained tag", tag, tags, where=f"for timm model {arch}")


def _check_open_clip(mid: ModelId) -> None:
    import open_clip

    if mid.name not in open_clip.list_models():
        raise _unknown_open_clip(mid.name, open_clip.list_models())
    tags = open_clip.list_pretrained_tags_by_model(mid.name)
    if mid.tag is not None and mid.tag not in tags:
        raise unknown("pretrained tag", mid.tag, tags, where=f"for {mid.name}")


def _load_timm(mid: ModelId, options: LoadOptions) -> LoadedModel:
    _check_timm(mid)
    checkpoint, overrides = options.checkpoint, dict(options.preprocess_overrides or {})
    use_pretrained = options.pretrained and checkpoint is None
    try:
        module = _create_timm(mid, use_pretrained, overrides)
    except OSError as exc:  # Hub unreachable or weights not cached (huggingface_hub errors are OSErrors)
        raise ModelError(
            f"cannot load pretrained weights for {mid.raw!r} ({type(exc).__name__})",
            "connect to the Hub once to cache them, or give a {checkpoint} file, or use {pretrained=False}",
        ) from exc
    if checkpoint is not None:
        _load_state(module, checkpoint, mid.name)
    preprocess = resolve_preprocess(module, overrides)
    if requests_size(overrides):
        _check_input_size(module, preprocess, mid.raw)
    tag: bool | str = (mid.tag or module.pretrained_cfg.get("tag") or True) if use_pretrained else False
    return LoadedModel(
        id=mid.raw,
        source="timm",
        module=module,
        preprocess=preprocess,
        transform=None,
        preprocess_info=preprocess.as_dict(),
        pretrained=tag,
        **_weights(checkpoint, module),
    )


def _load_open_clip(mid: ModelId, options: LoadOptions) -> LoadedModel:
    import open_clip

    from imagenet_g.evaluate import zeroshot
    from imagenet_g.images import default_cache_dir

    pretrained, checkpoint = options.pretrained, options.checkpoint
    if options.preprocess_overrides:
        raise UnknownNameError("preprocessing overrides apply to timm models only; open_clip uses its own transform")
    if checkpoint is None:
        _check_open_clip(mid)
    elif mid.name not in open_clip.list_models():
        raise _unknown_open_clip(mid.name, open_clip.list_models())
    weights = str(checkpoint) if checkpoint else (mid.tag if pretrained else None)
    if pretrained and weights is None:
        tags = open_clip.list_pretrained_tags_by_model(mid.name)
        raise UnknownNameError(
            f"{mid.raw!r} names no pretrained tag",
            f"use open_clip:{mid.name}/<tag> with one of: {', '.join(tags) or 'none'}, or use {{pretrained=False}}",
        )
    try:
        with quiet_root_logger():
            model, _, transform = open_clip.create_model_and_transforms(mid.name, pretrained=weights)
    except (RuntimeError, KeyError) as exc:  # open_clip reports failed downloads as RuntimeError too
        raise ModelError(
            f"cannot load {weights!r} into open_clip {mid.name}: {' '.join(str(exc).split())[:200]}",
            "offline? connect to the Hub once to cache the weights, or give a {checkpoint} file",
        ) from exc
    except OSError as exc:
        raise ModelError(
            f"cannot load pretrained weights for {mid.raw!r} ({type(exc).__name__})",
            "connect to the Hub once to cache them, or give a {checkpoint} file",
        ) from exc
    model.eval()
    cfg = open_clip.get_model_preprocess_cfg(model)
    weights = _weights(checkpoint, model)
    names, templates = labels.class_names(), labels.templates()
    key = zeroshot.head_key(mid.name, weights["weights_sha256"], names, templates)

    def build():
        _log.info("building the zero-shot head of %s: %d classes x %d templates = %d text encodings on %s",
                  mid.raw, len(names), len(templates), len(names) * len(templates), options.device)
        tokenizer = open_clip.get_tokenizer(mid.name)
        return zeroshot.build_head(model, tokenizer, names, templates, options.device, options.progress)

    head, origin = zeroshot.cached_head(key, options.cache_dir or default_cache_dir(), build)
    _log.info("zero-shot head of %s: %s", mid.raw, origin)
    return LoadedModel(
        id=mid.raw,
        source="open_clip",
        module=zeroshot.ZeroShotClassifier(model.cpu(), head),
        preprocess=None,
        transform=transform,
        preprocess_info={"kind": "open_clip", **{k: _plain(v) for k, v in cfg.items()}, "transform": repr(transform)},
        pretrained=(mid.tag or True) if pretrained and checkpoint is None else False,
        **weights,
        extra={"zero_shot": f"{len(templates)} OpenAI templates x {len(names)} class names, logit scale 100",
               "zero_shot_head": key},
    )


def _load_installed(mid: ModelId, options: LoadOptions) -> LoadedModel:
    """An id of a source an installed package declares (``imagenet_g.evaluate.sources``); its module and
    preprocessing values, under the user's overrides, as for the user's own modules; named by the source's
    canonical id when it gives one (a run named by any path to it has one id)."""
    got = load_with_source(mid.source, SourceRequest(mid.raw, mid.name, options.pretrained, options.checkpoint))
    return _assemble(got.module, got.id or mid.raw, mid.source, got.transform, got.preprocess,
                     dict(options.preprocess_overrides or {}), got.weights, got.pretrained)


def _plain(value):
    return list(value) if isinstance(value, tuple) else value


def _load_custom(mid: ModelId, options: LoadOptions) -> LoadedModel:
    module_name, _, attr = mid.name.partition(":")
    try:
        factory = getattr(importlib.import_module(module_name), attr)
    except ImportError as exc:
        if isinstance(exc, ModuleNotFoundError) and exc.name == module_name and "." not in module_name:
            raise _not_importable(mid, module_name, str(exc)) from exc
        raise UnknownNameError(f"cannot import {module_name!r} for model {mid.raw!r}: {exc}") from exc
    except AttributeError as exc:
        raise UnknownNameError(f"module {module_name!r} has no {attr!r}; give package.module:callable") from exc
    except Exception as exc:  # the user's module fails while importing: their code, any exception type
        raise ModelError(f"importing {module_name!r} for model {mid.raw!r} failed: {one_line(exc)}") from exc
    try:
        built = factory()
    except Exception as exc:  # the user's factory: any exception type, reported in one line naming the model
        raise ModelError(f"model {mid.raw!r}: {module_name}.{attr}() raised {one_line(exc)}") from exc
    module, transform = built if isinstance(built, tuple) and len(built) == 2 else (built, None)
    return _wrap_module(module, mid.raw, dataclasses.replace(options, transform=transform or options.transform))


def _wrap_module(module, model_id: str, options: LoadOptions) -> LoadedModel:
    """A user's module as a ``LoadedModel``: its weights from the options' checkpoint, then as ``_assemble`` makes
    it."""
    _check_module(module, model_id)
    if options.checkpoint is not None:
        _load_state(module, options.checkpoint, model_id)
    return _assemble(module, model_id, "custom", options.transform, {}, dict(options.preprocess_overrides or {}),
                     options.checkpoint, False)


def _check_module(module, model_id: str) -> None:
    import torch

    if not isinstance(module, torch.nn.Module):
        raise ModelError(
            f"{model_id!r} returned {type(module).__name__}, not a torch.nn.Module (or a (module, transform) pair)"
        )


def _assemble(module, model_id: str, source: str, transform: Callable | None, preprocess: dict, overrides: dict,
              weights: Path | None, pretrained: bool | str) -> LoadedModel:
    """A module with its weights loaded as a ``LoadedModel``: its own transform, or a timm config (the module's
    defaults < the source's ``preprocess`` values < the user's overrides)."""
    _check_module(module, model_id)
    if transform is not None and not callable(transform):
        raise ModelError(f"the transform given for {model_id!r} is a {type(transform).__name__}, not a callable")
    if transform is not None and overrides:
        raise ModelError(f"{model_id!r} brings its own transform; preprocessing overrides apply to timm configs only")
    config = None if transform is not None else resolve_preprocess(module, {**preprocess, **overrides})
    if config is not None and requests_size(overrides):
        _check_input_size(module, config, model_id)
    return LoadedModel(
        id=model_id,
        source=source,
        module=module,
        preprocess=config,
        transform=transform,
        preprocess_info=config.as_dict() if config else {"kind": source, "transform": repr(transform)},
        pretrained=pretrained,
        **_weights(weights, module),
    )


@dataclass(frozen=True)
class LoadOptions:
    """What a model id loads with besides the id, in one place.

    ``checkpoint`` (a state dict) beats ``pretrained`` weights. Weight initialisation runs under
    ``torch.manual_seed(seed)`` (the global RNG is restored after), so a model without pretrained weights gets the
    same random weights on every run and its results can be re-checked. ``preprocess_overrides`` change the timm
    config a model gets (``input_size``, ``crop_pct``, ...). ``transform`` (PIL image -> float tensor) is for the
    user's own modules: it replaces the timm config they otherwise get; ``name`` names a module given as is
    (default: its class name). open_clip's zero-shot head is built on ``device`` (with a progress bar if
    ``progress``) and cached under ``cache_dir`` (default: ``imagenet_g.images.default_cache_dir()``).
    """

    pretrained: bool = True
    checkpoint: Path | None = None
    preprocess_overrides: Mapping[str, object] | None = None
    seed: int = 0
    transform: Callable | None = None
    name: str | None = None
    device: str = "cpu"
    cache_dir: Path | None = None
    progress: bool = False


LOADERS: dict[str, Callable[[ModelId, LoadOptions], LoadedModel]] = {
    "timm": _load_timm,
    "open_clip": _load_open_clip,
    "custom": _load_custom,
}


def load_model(model: str | object, options: LoadOptions | None = None, **settings: Any) -> LoadedModel:
    """Build the classifier named by ``model`` (an id, or a ``torch.nn.Module`` given as is) in eval mode, loaded
    with ``options``; keywords set single fields of them (``load_model("resnet50", pretrained=False)``).

    A module given as is keeps its weights unless ``checkpoint`` is given.
    """
    import torch

    options = dataclasses.replace(options or LoadOptions(), **settings)
    options = dataclasses.replace(options, preprocess_overrides=check_overrides(dict(options.preprocess_overrides
                                                                                        or {})))
    if not isinstance(model, str):
        checked = dataclasses.replace(options, checkpoint=_check_checkpoint(options.checkpoint))
        loaded = _wrap_module(model, options.name or type(model).__name__, checked)
    else:
        mid = parse_model_id(model)
        if options.transform is not None and mid.source != "custom":
            raise ModelError(f"a transform applies to your own modules; {mid.raw!r} brings its preprocessing")
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(options.seed)
            if mid.source in LOADERS:
                checked = dataclasses.replace(options, checkpoint=_check_checkpoint(options.checkpoint))
                loaded = LOADERS[mid.source](mid, checked)
            else:  # an installed source says itself, naming the id, when the weights given are not there
                loaded = _load_installed(mid, options)
    loaded.module.eval()
    return loaded

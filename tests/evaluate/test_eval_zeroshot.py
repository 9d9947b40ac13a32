"""Zero-shot heads: the same weights as open_clip's own ``build_zero_shot_classifier``, with a causal text tower
encoded only up to each batch's longest prompt, every other tower at full length. Tiny random-weight open_clip
models built in code, one per kind of text tower."""

from __future__ import annotations

import json
import logging
import sys

import pytest
import torch

from imagenet_g.evaluate import zeroshot

CONTEXT = 24
TEXT_TOWERS = {  # name -> (text_cfg additions, custom_text, encoded only up to the longest prompt)
    "argmax": ({}, False, True),  # CLIP: end-of-text token, the highest id
    "eos": ({"pool_type": "eos", "eos_id": 49407}, False, True),  # MetaCLIP 2 style: the first eos token
    "custom-argmax": ({}, True, True),  # CustomTextCLIP: the tower is model.text
    "last-bidirectional": ({"pool_type": "last", "no_causal_mask": True}, True, False),  # SigLIP style: the last position, both ways
    "bidirectional-argmax": ({"no_causal_mask": True}, False, False),  # every position reads the padding
    "coca-cls": ({"embed_cls": True}, True, False),  # an appended class token reads the padding
}


def _tiny_clip(tmp_path, name: str, text: dict, custom: bool):
    import open_clip

    cfg = {
        "embed_dim": 16,
        "vision_cfg": {"image_size": 32, "layers": 1, "width": 32, "patch_size": 16, "head_width": 16},
        "text_cfg": {"context_length": CONTEXT, "vocab_size": 49408, "width": 32, "heads": 2, "layers": 2, **text},
        **({"custom_text": True} if custom else {}),
    }
    path = tmp_path / f"tiny-{name}.json"
    path.write_text(json.dumps(cfg))
    open_clip.add_model_config(path)
    torch.manual_seed(0)
    model = open_clip.create_model(f"tiny-{name}", pretrained=None).eval()
    return model, open_clip.get_tokenizer(f"tiny-{name}")


def _lengths_seen(model) -> list[int]:
    """Token lengths the text tower is run on, recorded by a hook on the tower."""
    seen: list[int] = []
    tower = model.text if hasattr(model, "text") else model.transformer
    tower.register_forward_pre_hook(lambda module, args: seen.append(args[0].shape[1]))
    return seen


def _prompts():
    from imagenet_g import labels

    names = list(labels.class_names()[::25])  # 40 classes, names of 1 to 5 words
    return names, labels.templates()[:6]


def _reference(model, tokenizer, names, templates) -> torch.Tensor:
    import open_clip

    return open_clip.build_zero_shot_classifier(model, tokenizer=tokenizer, classnames=names, templates=templates)


@pytest.mark.parametrize("kind", list(TEXT_TOWERS))
def test_head_equals_open_clips_and_only_causal_towers_are_cut(kind, tmp_path, monkeypatch):
    text, custom, cut = TEXT_TOWERS[kind]
    model, tokenizer = _tiny_clip(tmp_path, kind, text, custom)
    names, templates = _prompts()
    monkeypatch.setattr(zeroshot, "TEXTS_PER_BATCH", 64)  # 240 prompts: 4 batches of different lengths
    seen = _lengths_seen(model)
    head = zeroshot.build_head(model, tokenizer, names, templates)
    assert head.shape == (16, len(names))
    assert (head - _reference(model, tokenizer, names, templates)).abs().max() <= 1e-5
    mine = seen[:4]
    if cut:
        assert max(mine) < CONTEXT and len(set(mine)) > 1 and mine == sorted(mine), mine
    else:
        assert mine == [CONTEXT] * 4


def test_a_hugging_face_text_encoder_is_encoded_at_full_length(tmp_path):
    from open_clip.hf_model import HFTextEncoder
    from transformers import BertConfig

    model, tokenizer = _tiny_clip(tmp_path, "hf", {}, True)
    config = BertConfig(vocab_size=49408, hidden_size=32, num_hidden_layers=1, num_attention_heads=2,
                        intermediate_size=64, max_position_embeddings=CONTEXT)
    torch.manual_seed(0)
    model.text = HFTextEncoder("bert", 16, config=config, pooler_type="mean_pooler", proj_type="linear").eval()
    names, templates = _prompts()
    seen = _lengths_seen(model)
    head = zeroshot.build_head(model, tokenizer, names, templates)
    assert set(seen) == {CONTEXT}
    assert (head - _reference(model, tokenizer, names, templates)).abs().max() <= 1e-5


def test_the_startup_note_is_printed_once_when_the_root_logger_prints_too(capsys):
    from imagenet_g.cli.app import notes_to_stderr

    root = logging.StreamHandler(sys.stderr)  # what logging.basicConfig() installs, e.g. on open_clip's warning
    logging.getLogger().addHandler(root)
    try:
        with notes_to_stderr():
            logging.getLogger("imagenet_g.evaluate.models").info("building the zero-shot head")
    finally:
        logging.getLogger().removeHandler(root)
    assert capsys.readouterr().err.count("building the zero-shot head") == 1

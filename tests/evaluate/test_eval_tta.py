"""`--tta flip`: each image is scored by the sum of the model's logits on it and on its horizontal flip, as the paper's
code scores; checked against timm validate.py's data path with the flip done here; recorded, never resumed across."""

from __future__ import annotations

import numpy as np
import pyarrow.parquet as pq
import torch
from test_eval_equivalence import reference

from imagenet_g.results import EvalResult


def _scored(out):
    result = EvalResult.read(out)
    table = pq.read_table(out.parent / result.datasets["imagenet"].predictions_file)
    topk, scores = np.array(table["topk"].to_pylist()), np.array(table["topk_scores"].to_pylist())
    return result, table["key"].to_pylist(), topk, scores


def test_flip_tta_sums_the_logits_of_each_image_and_its_flip(data_root, tmp_path, run_cli):
    import timm

    out = tmp_path / "resnet10t.json"
    args = ("eval", "--model", "resnet10t", "--no-pretrained", "--datasets", "imagenet", "--data-root", data_root,
            "--out", out, "--workers", "0", "--bootstrap", "0", "--device", "cpu")
    flipped = run_cli(*args, "--tta", "flip")
    assert flipped.exit_code == 0, flipped.stderr
    assert "logits of the image + its horizontal flip (tta flip)" in flipped.stderr
    torch.manual_seed(0)  # the seeded random weights of a --no-pretrained timm model
    module = timm.create_model("resnet10t", pretrained=False).eval()
    paths, _, summed = reference(module, data_root / "imagenet" / "val", flip=True)
    _, _, plain = reference(module, data_root / "imagenet" / "val")
    assert (summed - 2 * plain).abs().max() > 1e-3  # the flip changes this model's logits, beyond the tolerance below
    result, keys, topk, scores = _scored(out)
    assert result.tta == "flip" and keys == paths
    np.testing.assert_array_equal(topk, summed.topk(5).indices.numpy())
    np.testing.assert_allclose(scores, summed.topk(5).values.numpy(), rtol=0, atol=1e-4)
    # the same command without TTA into the same file scores again (never resumes the flip results), one view each
    single = run_cli(*args)
    assert single.exit_code == 0 and "kept from the previous run" not in single.stderr
    result, keys, topk, scores = _scored(out)
    assert result.tta == "none" and keys == paths
    np.testing.assert_allclose(scores, plain.topk(5).values.numpy(), rtol=0, atol=1e-4)


def test_an_unknown_tta_is_one_line(run_cli, tmp_path):
    result = run_cli("eval", "--model", "resnet10t", "--tta", "rotate", "--out", tmp_path / "r.json")
    assert result.exit_code == 2
    assert result.stderr.startswith("imagenet-g: error: unknown test-time augmentation 'rotate'")
    assert "; choose none, or flip" in result.stderr and result.stderr.count("\n") == 1

"""`precision`: fp32 (the default, as timm's validate.py without --amp) gives the float32 predictions on any
device; amp (float16 autocast, validate.py --amp) is opt-in and recorded."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from imagenet_g.errors import UnknownNameError
from imagenet_g.evaluate import EvalRequest, run_eval

from test_eval_equivalence import reference

MODEL = "resnet10t"


def test_fp32_is_the_default_and_equals_the_float32_reference(data_root, tmp_path):
    import pyarrow.parquet as pq

    from imagenet_g.evaluate import load_model

    result = run_eval(EvalRequest(model=MODEL, pretrained=False, data_root=data_root, datasets=("imagenet",),
                                  out=tmp_path / "r.json", workers=0, bootstrap=0))
    assert result.precision == "fp32"
    paths, _, logits = reference(load_model(MODEL, pretrained=False).module, data_root / "imagenet" / "val")
    assert logits.dtype == torch.float32
    rows = pq.read_table(tmp_path / result.datasets["imagenet"].predictions_file).to_pydict()
    assert rows["key"] == paths
    np.testing.assert_array_equal(np.asarray(rows["topk"]), logits.topk(5).indices.numpy())
    np.testing.assert_allclose(np.asarray(rows["topk_scores"]), logits.topk(5).values.numpy(), rtol=0, atol=1e-5)


def test_amp_is_recorded_and_runs_in_float16(data_root, tmp_path):
    import pyarrow.parquet as pq

    common = dict(model=MODEL, pretrained=False, data_root=data_root, datasets=("imagenet",), workers=0, bootstrap=0,
                  preprocess={"input_size": (3, 64, 64)})  # float16 on a CPU is slow: small inputs
    fp32 = run_eval(EvalRequest(out=tmp_path / "a.json", **common))
    amp = run_eval(EvalRequest(out=tmp_path / "b.json", precision="amp", **common))
    assert amp.precision == "amp"
    a = np.asarray(pq.read_table(tmp_path / fp32.datasets["imagenet"].predictions_file)["topk_scores"].to_pylist())
    b = np.asarray(pq.read_table(tmp_path / amp.datasets["imagenet"].predictions_file)["topk_scores"].to_pylist())
    assert not np.array_equal(a, b)  # float16 rounding shows in the scores: autocast really ran
    np.testing.assert_allclose(a, b, atol=0.05)


def test_an_unknown_precision_exits_2(run_cli, data_root, tmp_path):
    res = run_cli("eval", "--model", MODEL, "--no-pretrained", "--data-root", data_root, "--out", tmp_path / "r.json",
                  "--precision", "fp16")
    assert res.exit_code == 2 and "fp32" in res.stderr and res.stderr.count("\n") == 1
    with pytest.raises((UnknownNameError, ValueError)):
        EvalRequest(model=MODEL, precision="half")

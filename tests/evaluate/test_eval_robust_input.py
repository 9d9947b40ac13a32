"""Unreadable files of every kind are counted in `skipped` with a reason; a dataset with nothing left to score
is an error when it was named and a note otherwise."""

from __future__ import annotations

import pytest

from imagenet_g import labels
from imagenet_g.errors import DatasetNotFoundError
from imagenet_g.evaluate import EvalRequest, run_eval

from data_fixtures import bomb_png, one_error_line, write_images

MODEL = "resnet10t"
A_CLASS = labels.imagenet_a_indices()[0]


def test_a_decompression_bomb_is_counted_and_the_run_goes_on(tmp_path):
    folder = tmp_path / "imagenet-a" / labels.wnids()[A_CLASS]
    write_images(folder, 2, seed=1)
    (folder / "bomb.png").write_bytes(bomb_png())
    result = run_eval(EvalRequest(model=MODEL, pretrained=False, data_root=tmp_path, datasets=("imagenet-a",),
                                  out=tmp_path / "r.json", workers=0, bootstrap=0))
    a = result.datasets["imagenet-a"]
    assert a.images == 2 and a.skipped_reasons == {"unreadable image (decompression bomb)": 1}


def _all_unreadable(root):
    folder = root / "imagenet-a" / labels.wnids()[A_CLASS]
    folder.mkdir(parents=True)
    for i in range(3):
        (folder / f"x{i}.jpg").write_bytes(b"not a jpeg")
    return root


def test_a_named_dataset_with_nothing_readable_exits_2(run_cli, tmp_path):
    root = _all_unreadable(tmp_path / "data")
    out = tmp_path / "r.json"
    res = run_cli("eval", "--model", MODEL, "--no-pretrained", "--datasets", "imagenet-a", "--data-root", root,
                  "--out", out, "--workers", "0", "--bootstrap", "0")
    assert res.exit_code == 2, res.stderr
    assert "imagenet-a" in res.stderr and "3 unreadable image (UnidentifiedImageError)" in res.stderr
    assert one_error_line(res.stderr)


def test_an_unnamed_dataset_with_nothing_readable_is_a_note(data_root, tmp_path):
    root = _all_unreadable(tmp_path / "data")
    (root / "sketch").symlink_to(data_root / "sketch")
    result = run_eval(EvalRequest(model=MODEL, pretrained=False, data_root=root, out=tmp_path / "r.json",
                                  workers=0, bootstrap=0))
    assert list(result.datasets) == ["imagenet-sketch"] and result.complete
    assert "no image could be scored" in result.datasets_skipped["imagenet-a"]
    with pytest.raises(DatasetNotFoundError, match="no image could be scored"):
        run_eval(EvalRequest(model=MODEL, pretrained=False, data_root=root, out=tmp_path / "r2.json",
                             datasets=("imagenet-a", "imagenet-sketch"), workers=0, bootstrap=0))

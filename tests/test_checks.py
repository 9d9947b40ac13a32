"""The ground floor's argument checks: bounds, path kinds, and the request types' one-line validation errors."""

from __future__ import annotations

import pytest

from imagenet_g.checks import check_file, check_folder, check_range, check_workers, usable_cores
from imagenet_g.errors import ArgumentError


def test_workers_are_at_most_the_usable_cores():
    cores = usable_cores()
    assert check_workers(None) is None and check_workers(0) == 0 and check_workers(cores) == cores
    with pytest.raises(ArgumentError) as caught:
        check_workers(cores + 1)
    assert caught.value.render(lambda p: f"--{p}") == (
        f"{cores + 1:,} worker processes asked for; this process may use {cores} CPU core{'s' * (cores != 1)}; "
        f"set --workers to 0..{cores} (0: decode in this process), or leave it out for one per core")


def test_a_number_out_of_range_names_its_bounds():
    assert check_range(5, "threads", 1, 1024) == 5
    with pytest.raises(ArgumentError, match=r"threads 1,000,000,000,000 is out of range \(torch threads\)"):
        check_range(10**12, "threads", 1, 1024, "torch threads")


def test_paths_of_the_wrong_kind(tmp_path):
    (tmp_path / "f").write_text("x")
    assert check_folder(tmp_path, "data_root") == tmp_path
    assert check_folder(tmp_path / "new", "out", must_exist=False) == tmp_path / "new"
    assert check_file(tmp_path / "f", "checkpoint") == tmp_path / "f"
    with pytest.raises(ArgumentError, match="data_root '.*f' is a file, not a folder"):
        check_folder(tmp_path / "f", "data_root", must_exist=False)
    with pytest.raises(ArgumentError, match="data_root '.*none' does not exist"):
        check_folder(tmp_path / "none", "data_root")
    with pytest.raises(ArgumentError, match="checkpoint '.*' is a folder, not a file"):
        check_file(tmp_path, "checkpoint")


def test_a_request_field_pydantic_rejects_is_one_argument_error_naming_it():
    from imagenet_g.evaluate import EvalRequest

    with pytest.raises(ArgumentError) as caught:
        EvalRequest(model="resnet18", batch_size=0, bootstrap=-1)
    assert caught.value.parameters == ("batch_size", "bootstrap")
    assert "batch_size: Input should be greater than or equal to 1" in str(caught.value)

"""Cache folders that cannot be written: one line for a folder the user gave, a temporary one (with a note) for the
default."""

from __future__ import annotations

import logging

import pytest

from imagenet_g.errors import OutputError
from imagenet_g.images import pixel_cache


def test_a_given_cache_folder_that_is_a_file_is_one_line(tmp_path):
    (tmp_path / "file").write_text("mine")
    with pytest.raises(OutputError, match="cache folder .*file is a file") as refused:
        pixel_cache.check_cache_dir(tmp_path / "file")
    assert refused.value.parameters == ("cache_dir",)
    assert (tmp_path / "file").read_text() == "mine"
    pixel_cache.check_cache_dir(tmp_path / "new" / "cache")  # created
    assert (tmp_path / "new" / "cache").is_dir()
    pixel_cache.check_cache_dir(None)


def test_a_default_cache_folder_that_cannot_be_written_falls_back_with_a_note(tmp_path, monkeypatch, caplog):
    (tmp_path / "file").write_text("mine")
    monkeypatch.setenv("IMAGENET_G_CACHE", str(tmp_path / "file"))
    with caplog.at_level(logging.WARNING, logger="imagenet_g"):
        folder = pixel_cache.default_cache_dir()
    assert folder.is_dir() and folder != tmp_path / "file"
    assert f"cache folder {tmp_path / 'file'} is a file; caching in {folder}" in caplog.text
    assert pixel_cache.default_cache_dir() == folder  # one folder, one note, per process
    assert (tmp_path / "file").read_text() == "mine"

"""The one output rule (imagenet_g.outputs) and the one lock (imagenet_g.claims.claimed), with real processes."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from output_helpers import held_elsewhere
from pydantic import BaseModel

from imagenet_g.claims import claim_path, claimed, holds
from imagenet_g.errors import OutputError
from imagenet_g.outputs import RequestPath, check_output_file, check_output_folder, not_empty, written_by


def _ours(path: Path) -> str | None:
    return None if path.read_text() == "ours" else "is someone else's"


def test_a_file_is_written_only_when_absent_or_ours(tmp_path):
    check_output_file(tmp_path / "new.json", _ours, "out")
    (tmp_path / "mine.json").write_text("ours")
    check_output_file(tmp_path / "mine.json", _ours, "out")
    (tmp_path / "theirs.json").write_text("theirs")
    with pytest.raises(OutputError) as refused:
        check_output_file(tmp_path / "theirs.json", _ours, "out")
    assert f"{tmp_path / 'theirs.json'} is someone else's" in str(refused.value)
    assert refused.value.parameters == ("out",)
    with pytest.raises(OutputError, match="is a folder"):
        check_output_file(tmp_path, _ours, "out")
    assert (tmp_path / "theirs.json").read_text() == "theirs"


def test_written_by_finds_the_writers_mark_or_says_why_not(tmp_path):
    def marked(path: Path, data: bytes) -> bool:
        return data.startswith(b"MARK")

    (tmp_path / "ours.md").write_bytes(b"MARK and more")
    (tmp_path / "theirs.md").write_bytes(b"notes")
    assert written_by(tmp_path / "ours.md", marked, "imagenet-g x") is None
    assert written_by(tmp_path / "theirs.md", marked, "imagenet-g x") == "was not written by `imagenet-g x`"
    assert written_by(tmp_path, marked, "imagenet-g x").startswith("cannot be read (")


def test_a_folder_is_written_only_when_new_empty_or_marked(tmp_path):
    check_output_folder(tmp_path / "new", "record.json", "a run folder", "out")
    (tmp_path / "empty").mkdir()
    (tmp_path / "empty" / ".hidden.lock").write_text("")  # claims and temp files do not count
    check_output_folder(tmp_path / "empty", "record.json", "a run folder", "out")
    (tmp_path / "marked").mkdir()
    (tmp_path / "marked" / "record.json").write_text("{}")
    (tmp_path / "marked" / "weights.bin").write_text("")
    check_output_folder(tmp_path / "marked", "record.json", "a run folder", "out")
    user = tmp_path / "user"
    user.mkdir()
    for name in ("a", "b", "c", "d", "e"):
        (user / name).write_text(name)
    with pytest.raises(OutputError) as refused:
        check_output_folder(user, "record.json", "a run folder", "out")
    assert f"{user} holds a, b, c and 2 more and is not a run folder" in str(refused.value)
    with pytest.raises(OutputError, match="is a file"):
        check_output_folder(user / "a", "record.json", "a run folder", "out")
    check_output_folder(user, lambda folder: (folder / "a").is_file(), "a run folder", "out")


def test_an_empty_string_is_never_a_path():
    class Request(BaseModel):
        out: RequestPath

    for blank in ("", "  "):
        with pytest.raises(OutputError, match="out is an empty string"):
            Request(out=blank)
        with pytest.raises(OutputError, match="dataset_dir is an empty string"):
            not_empty(blank, "dataset_dir")
    assert Request(out=".").out == Path(".")


def test_a_live_owner_is_refused_and_a_dead_ones_claim_taken_over(tmp_path):
    target = tmp_path / "results.json"
    with held_elsewhere(target, "the results file") as child:
        with pytest.raises(OutputError) as refused:
            with claimed(target, "the results file"):
                pass
        assert f"the results file is being written by another job (host {os.uname().nodename}, pid {child.pid}" in str(
            refused.value)
    assert claim_path(target).exists()
    with claimed(target, "the results file"):
        assert holds(claim_path(target))
        with claimed(target, "the results file"):  # re-entrant in one process
            pass
        assert holds(claim_path(target))
    assert not claim_path(target).exists()


def test_the_claim_sits_beside_the_output_whichever_way_it_is_named(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert claim_path(Path(".")) == tmp_path.parent / f".{tmp_path.name}.lock"
    assert claim_path(Path("run")) == tmp_path / ".run.lock"
    with claimed(Path("run"), "the run folder"):
        assert holds(tmp_path / ".run.lock")

"""Fixtures of the bad-input suite: the user's working folder (built once) and ``run_case``."""

from __future__ import annotations

from pathlib import Path

import pytest
from bad_input import Case, build_workspace, changes, problems, snapshot


@pytest.fixture(scope="session")
def workspace(tmp_path_factory) -> Path:
    """The working folder every case runs in (see ``bad_input.build_workspace``); no case may change it."""
    return build_workspace(tmp_path_factory.mktemp("workspace"))


@pytest.fixture
def run_case(workspace, capsys, monkeypatch):
    """Run one case in-process in the working folder and assert how it ended and that the folder is untouched."""
    from imagenet_g.cli import main

    def run(case: Case) -> str:
        monkeypatch.chdir(workspace)
        before = snapshot(workspace)
        capsys.readouterr()
        try:
            main(list(case.argv))
            code = 0
        except SystemExit as exc:
            code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
        out, err = capsys.readouterr()
        found = problems(code, out, err, case)
        touched = {k: v for k, v in changes(before, snapshot(workspace)).items() if v}
        assert not found and not touched, (found, touched)
        return err

    return run

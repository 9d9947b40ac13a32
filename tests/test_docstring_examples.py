"""The examples in the public functions' docstrings (the Python reference shows them) run as written."""

from __future__ import annotations

import doctest
import importlib
from pathlib import Path

import pytest

import imagenet_g

PACKAGE = Path(imagenet_g.__file__).resolve().parent


def _modules_with_examples() -> list[str]:
    found = []
    for path in sorted(PACKAGE.rglob("*.py")):
        if ">>> " in path.read_text(encoding="utf-8"):
            parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
            found.append(".".join(parts[:-1] if parts[-1] == "__init__" else parts))
    return found


@pytest.mark.parametrize("module", _modules_with_examples())
def test_docstring_examples_run(module, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # an example that writes, writes here
    tests = doctest.DocTestFinder().find(importlib.import_module(module))
    runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    for test in tests:
        runner.run(test)
    assert sum(len(t.examples) for t in tests) > 0
    assert runner.summarize(verbose=False).failed == 0

"""The `datasets` library draws its own bars ("Generating test split") on a cold cache; eval, train and the
release builder load through `progress.quiet_datasets`, so stderr holds our lines only."""

from __future__ import annotations

import io
import os
import subprocess
import sys
import textwrap

import datasets
from PIL import Image

from imagenet_g.progress import quiet_datasets


def _hub_folder(folder) -> str:
    """A local `datasets` folder (one parquet shard of split test) with two ImageNet-labelled images."""
    buffer = io.BytesIO()
    Image.new("RGB", (8, 8), (10, 20, 30)).save(buffer, format="PNG")
    features = datasets.Features({"image": datasets.Image(), "label": datasets.Value("int64")})
    rows = datasets.Dataset.from_dict(
        {"image": [{"bytes": buffer.getvalue(), "path": None}] * 2, "label": [0, 0]}, features=features
    )
    (folder / "data").mkdir(parents=True)
    with quiet_datasets():
        rows.to_parquet(str(folder / "data" / "test-00000-of-00001.parquet"))
    return str(folder)


def _stderr_of(script: str, cache) -> str:
    env = {**os.environ, "HF_DATASETS_CACHE": str(cache), "HF_HUB_OFFLINE": "1"}
    env.pop("HF_DATASETS_DISABLE_PROGRESS_BARS", None)
    done = subprocess.run([sys.executable, "-c", textwrap.dedent(script)], env=env, capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 0, done.stderr
    return done.stderr


def test_loading_with_a_cold_datasets_cache_draws_no_datasets_bar(tmp_path):
    a, b, c, d = (_hub_folder(tmp_path / name) for name in "abcd")
    # the check can fail: the same load straight through `datasets` draws its bar on stderr
    direct = _stderr_of(f"import datasets; datasets.load_dataset({d!r}, split='test')", tmp_path / "cache-direct")
    assert "Generating test split" in direct
    ours = _stderr_of(f"""
        from imagenet_g.benchmarks import get_benchmark
        from imagenet_g.images import Location, load
        from imagenet_g.release.generate.init_images import DatasetSource
        from imagenet_g.train.sources import real_hub

        assert len(load(get_benchmark("imagenet"), Location("hub", {a + ":test"!r})).images) == 2  # eval, audit
        assert len(real_hub({b + ":test"!r}).table) == 2  # train
        assert DatasetSource({c!r}).ids("test", "n01440764") == ["test/0", "test/1"]  # release init images
    """, tmp_path / "cache")
    assert "Generating" not in ours and "examples/s" not in ours, ours


def test_quiet_datasets_restores_the_setting():
    datasets.enable_progress_bars()
    with quiet_datasets():
        assert datasets.are_progress_bars_disabled()
    assert not datasets.are_progress_bars_disabled()
    datasets.disable_progress_bars()
    try:
        with quiet_datasets():
            pass
        assert datasets.are_progress_bars_disabled()
    finally:
        datasets.enable_progress_bars()


def test_without_a_terminal_the_bar_is_a_line_every_5_percent(monkeypatch, capsys):
    from imagenet_g.progress import progress_bar

    monkeypatch.delenv("CI", raising=False)
    with progress_bar("zero-shot head (prompts)", 200) as advance:  # pytest's captured stderr is no terminal
        for _ in range(200):
            advance(1)
    with progress_bar("build", 7) as advance:
        advance(3)  # 43%: past eight 5% steps at once, one line
        advance(4)
    lines = capsys.readouterr().err.splitlines()
    assert [line.split(" ")[3] for line in lines[:20]] == [f"{10 * i}/200" for i in range(1, 21)]
    assert lines[19].startswith("zero-shot head (prompts): 200/200 (100%), ") and "ETA" not in lines[19]
    assert "ETA" in lines[0] and "elapsed" in lines[0]
    assert [line.split(":")[1].split(" ")[1] for line in lines[20:]] == ["3/7", "7/7"]

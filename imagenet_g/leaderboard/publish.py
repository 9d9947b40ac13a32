"""Write the built leaderboard: leaderboard.json, README.md, a PNG per release and site/index.html under the root."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from imagenet_g.checks import check_range
from imagenet_g.leaderboard.aggregate import load_leaderboard
from imagenet_g.leaderboard.board import Leaderboard, leaderboard_json
from imagenet_g.leaderboard.files import write_atomic
from imagenet_g.leaderboard.render_html import HTML_TITLE, render_html
from imagenet_g.leaderboard.render_markdown import GENERATED_BY, render_markdown
from imagenet_g.leaderboard.validate import ReleaseCatalog
from imagenet_g.outputs import check_output_file, written_by
from imagenet_g.robustness import MAX_BOOTSTRAP


def _has_build_mark(path: Path, data: bytes) -> bool:
    """Whether the head of ``data`` (of ``path``) carries the mark a leaderboard build puts in files of its kind."""
    marks = {".md": GENERATED_BY.encode(), ".html": HTML_TITLE.encode(), ".json": b'"schema_version"',
             ".png": b"\x89PNG\r\n\x1a\n"}
    return marks.get(path.suffix, b"\0") in data[:1 << 16]


def _ours(path: Path) -> str | None:
    """None for a file a leaderboard build wrote (``imagenet_g.outputs``); else what it is instead."""
    return written_by(path, _has_build_mark, "imagenet-g leaderboard build")


@dataclass(frozen=True)
class BuildOutput:
    """What `build_leaderboard` wrote."""

    board: Leaderboard
    json_path: Path
    markdown_path: Path
    html_path: Path
    plot_paths: tuple[Path, ...]


def build_leaderboard(
    root: Path = Path("leaderboard"), catalog: ReleaseCatalog | None = None, bootstrap: int = 1000,
    plots: bool = True,
) -> BuildOutput:
    """Validate and aggregate ``root/submissions``, then write the JSON, markdown, plots and HTML views.

    Everything is rendered and every target checked before the first write, so an invalid submission, or a file at
    a target that a build did not write (a README.md of the user's), leaves every file as it was.
    ``plots=False`` skips the PNGs (the README then links to files that may be missing or stale).
    """
    check_range(bootstrap, "bootstrap", 0, MAX_BOOTSTRAP, "ER resamples")
    root = Path(root)
    board = load_leaderboard(root, catalog, bootstrap)
    contents: dict[Path, str | bytes] = {
        root / "leaderboard.json": leaderboard_json(board),
        root / "README.md": render_markdown(board),
        root / "site" / "index.html": render_html(board),
    }
    plot_paths = []
    if plots:
        from imagenet_g.leaderboard.render_plot import render_plot  # matplotlib: only when building

        for release in board.releases.values():
            if release.plot:
                plot_paths.append(root / release.plot)
                contents[root / release.plot] = render_plot(board, release)
    for path in contents:
        check_output_file(path, _ours, "root")
    for path, content in contents.items():
        write_atomic(path, content)
    return BuildOutput(board, root / "leaderboard.json", root / "README.md", root / "site" / "index.html",
                       tuple(plot_paths))

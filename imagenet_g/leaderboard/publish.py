"""Write the built leaderboard: leaderboard.json, README.md, a PNG per release and site/index.html under the root."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from imagenet_g.leaderboard.aggregate import load_leaderboard
from imagenet_g.leaderboard.board import Leaderboard, leaderboard_json
from imagenet_g.leaderboard.files import write_atomic
from imagenet_g.leaderboard.render_html import render_html
from imagenet_g.leaderboard.render_markdown import render_markdown
from imagenet_g.leaderboard.validate import ReleaseCatalog


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

    Everything is rendered before the first write, so an invalid submission leaves the old files intact.
    ``plots=False`` skips the PNGs (the README then links to files that may be missing or stale).
    """
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
    for path, content in contents.items():
        write_atomic(path, content)
    return BuildOutput(board, root / "leaderboard.json", root / "README.md", root / "site" / "index.html",
                       tuple(plot_paths))

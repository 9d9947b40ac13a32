"""Write the built leaderboard: leaderboard.json, README.md and site/index.html under the root."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from imagenet_g.leaderboard.aggregate import Leaderboard, leaderboard_json, load_leaderboard
from imagenet_g.leaderboard.files import write_text_atomic
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


def build_leaderboard(
    root: Path = Path("leaderboard"), catalog: ReleaseCatalog | None = None, bootstrap: int = 1000
) -> BuildOutput:
    """Validate and aggregate ``root/submissions``, then write the JSON, markdown and HTML views.

    Everything is rendered before the first write, so an invalid submission leaves the old files intact.
    """
    root = Path(root)
    board = load_leaderboard(root, catalog, bootstrap)
    out = BuildOutput(board, root / "leaderboard.json", root / "README.md", root / "site" / "index.html")
    texts = {out.json_path: leaderboard_json(board), out.markdown_path: render_markdown(board),
             out.html_path: render_html(board)}
    for path, text in texts.items():
        write_text_atomic(path, text)
    return out

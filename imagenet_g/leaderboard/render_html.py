"""The leaderboard as one self-contained HTML page (no CDN, works offline from a file:// URL).

The page is a fixed template (``site/index.html``, ``style.css``, ``app.js``) plus the leaderboard
JSON embedded in a ``<script type="application/json">`` tag; the script builds the table and the SVG
plot with ``textContent`` only, so no user text is ever parsed as HTML.
"""

from __future__ import annotations

import json
import re
from importlib import resources

from imagenet_g.leaderboard.board import Leaderboard

# inside <script>, '<' could open '</script>' or '<!--'; U+2028/9 end a line in old JS engines
_SCRIPT_UNSAFE = {"<": "\\u003c", ">": "\\u003e", "&": "\\u0026", "\u2028": "\\u2028", "\u2029": "\\u2029"}
_SLOT = re.compile(r"\{\{(style|script|data)\}\}")
# the page shows top-1 only: top-5 stays in leaderboard.json and keeps the page ~10% smaller
_NOT_ON_PAGE = {"published": {"__all__": {"top5"}}, "releases": {"__all__": {"entries": {"__all__": {"top5"}}}}}


def embed_json(data: object) -> str:
    """JSON text that is safe to place verbatim inside a ``<script>`` element."""
    text = json.dumps(data, ensure_ascii=False, separators=(",", ":"))
    return re.sub("[<>&\u2028\u2029]", lambda m: _SCRIPT_UNSAFE[m.group()], text)


HTML_TITLE = "<title>ImageNet-G leaderboard</title>"  # in site/index.html: the mark of a page a build may rewrite


def render_html(board: Leaderboard) -> str:
    """The full index.html text."""
    site = resources.files("imagenet_g.leaderboard") / "site"
    parts = {
        "style": (site / "style.css").read_text(encoding="utf-8").strip(),
        "script": (site / "app.js").read_text(encoding="utf-8").strip(),
        "data": embed_json(board.model_dump(mode="json", exclude=_NOT_ON_PAGE)),
    }
    # one pass, so text inserted for one slot is never scanned for another
    return _SLOT.sub(lambda m: parts[m.group(1)], (site / "index.html").read_text(encoding="utf-8"))

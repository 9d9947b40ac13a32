"""Rendering: user text can never become markup, in the HTML page or in the markdown table."""

from __future__ import annotations

import json
import re

from imagenet_g.leaderboard import load_leaderboard
from imagenet_g.leaderboard.render_html import embed_json, render_html
from imagenet_g.leaderboard.render_markdown import md_text, render_markdown
from leaderboard_factories import make_submission, write_submission

EVIL = "<script>alert(1)</script><b>x</b>"


def test_embedded_json_cannot_close_the_script_tag():
    text = embed_json({"name": EVIL + "</SCRIPT><!-- & \u2028\u2029"})
    assert not re.search(r"[<>&\u2028\u2029]", text)
    assert json.loads(text) == {"name": EVIL + "</SCRIPT><!-- & \u2028\u2029"}


def test_page_is_self_contained_and_holds_user_text_only_as_escaped_json(board_root, catalog):
    write_submission(board_root, make_submission("evil", {"imagenet": 1.0, "imagenet-g": 1.0}, name=EVIL,
                                                 submitted_by="</script><img src=x onerror=alert(2)>"))
    html = render_html(load_leaderboard(board_root, catalog, bootstrap=0))
    assert "alert(1)" in html and "<b>x" not in html and "<img" not in html
    assert html.count("</script>") == 2  # the data block and the app script, nothing else
    assert not re.search(r"""(src|href)=["']?(https?:)?//""", html)  # no CDN or remote asset
    data = re.search(r'<script type="application/json" id="leaderboard-data">(.*?)</script>', html, re.S).group(1)
    names = [e["name"] for e in json.loads(data)["releases"]["v1"]["entries"]]
    assert EVIL in names


def test_markdown_escapes_html_and_table_syntax(board_root, catalog):
    assert md_text("a|b <i>c</i> *d* [e](f)") == r"a\|b &lt;i&gt;c&lt;/i&gt; \*d\* \[e\](f)"
    write_submission(board_root, make_submission("evil", {"imagenet": 1.0, "imagenet-g": 1.0}, name=EVIL + " | x"))
    text = render_markdown(load_leaderboard(board_root, catalog, bootstrap=0))
    assert "<script>" not in text and "<b>" not in text
    row = next(line for line in text.splitlines() if "alert" in line)
    assert row.count(" | ") == 10  # 11 cells: the name's pipe is escaped


def test_markdown_has_a_table_per_release_and_the_reference_provenance(board_root, catalog):
    text = render_markdown(load_leaderboard(board_root, catalog, bootstrap=0))
    assert "## Release v1" in text and "## Release smoke" in text
    assert "| 1 | [Generated model]" not in text  # no paper link given
    assert "| 1 | Generated model | generated | 70.00 | 52.00 (+7.00) | 62.00 (" in text
    assert "imagenet-testbed" in text and "Not evaluated by imagenet-g" in text

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
    assert row.count(" | ") == 11  # 12 cells: the name's pipe is escaped


def test_markdown_ranks_published_rows_and_submissions_together(board_root, catalog):
    top1 = {"imagenet": 80.0, "imagenet-v2": 70.0, "imagenet-sketch": 40.0, "imagenet-r": 60.0,
            "val-on-imagenet-r-classes": 94.0, "imagenet-a": 30.0, "val-on-imagenet-a-classes": 94.0, "imagenet-g": 60.0}
    write_submission(board_root, make_submission("robust", top1, name="Robust model", category="generated"))
    text = render_markdown(load_leaderboard(board_root, catalog, bootstrap=50))
    assert "## Release v1" in text and "## Release smoke" in text and "![" in text and "(plots/v1.png)" in text
    assert "**Rank.** Ranked by mean ER over ImageNet-V2, ImageNet-Sketch, ImageNet-R, ImageNet-A" in text
    v1 = text.split("## Release v1")[1].split("## Release smoke")[0]
    rows = [line for line in v1.splitlines() if line.startswith("| ") and not line.startswith("| #")]
    assert len([r for r in rows if "| timm |" in r or "| imagenet-testbed |" in r]) == 25  # the top of the ranking
    robust = next(r for r in rows if "Robust model" in r)
    place = int(robust.split(" | ")[0].strip("| "))
    assert place > 25 and "**Robust model**" in robust  # every submission is shown, bold, with its place
    assert "submission `robust`" in robust
    # mean ER with its interval, and per shift set top-1 · ER [interval]
    assert re.search(r"\| [+−]\d+\.\d\d \[[+−]\d+\.\d\d, [+−]\d+\.\d\d\]†? \| 80\.00 \| 70\.00 · [+−]", robust)
    gen = next(r for r in rows if "Generated model" in r)
    assert gen.startswith("| – | **Generated model** | – | 70.00 |")  # unranked: no R or A
    assert "- **Generated model**: no ER on ImageNet-R, ImageNet-A" in v1
    assert "## Published sources (not re-run by imagenet-g)" in text and "Apache-2.0" in text and "sha256:" in text
    # a release without enough standard entries says how to get them
    smoke = text.split("## Release smoke")[1]
    assert ("No ImageNet-G baseline fit yet: not enough baselines (0 of 3 needed). The points are standard entries "
            "scored on ImageNet and ImageNet-G: score the standard models with `imagenet-g sweep --release smoke` and "
            "enter them with `imagenet-g leaderboard add --from-sweep sweeps/smoke`.") in smoke


def test_a_flip_tta_entry_says_so_in_the_table_the_json_and_the_page(board_root, catalog):
    sub = make_submission("tta-model", {"imagenet": 70.0, "imagenet-g": 52.0}, name="TTA model")
    write_submission(board_root, sub.model_copy(update={"result": sub.result.model_copy(update={"tta": "flip"})}))
    board = load_leaderboard(board_root, catalog, bootstrap=0)
    entries = {e.slug: e for e in board.releases["v1"].entries}
    assert (entries["tta-model"].tta, entries["gen-model"].tta) == ("flip", "none")
    assert all(e.tta is None for e in board.published)  # the published tables do not say
    rows = render_markdown(board).splitlines()
    assert "**TTA model** (flip TTA)" in next(r for r in rows if "TTA model" in r)
    assert "flip TTA" not in next(r for r in rows if "gen-model" in r)
    assert '"tta":"flip"' in render_html(board).replace(" ", "")

"""The documentation site builds offline in strict mode (a broken link or anchor, a page outside the navigation, a
Python name that does not resolve fail the build), its CLI reference holds every command and option of the CLI, its
Python reference every name each public face exports, and the architecture page names every room of the package."""

from __future__ import annotations

import html
import importlib
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
pytest.importorskip("mkdocs", reason="the docs extra is not installed (make install-test installs it)")


@pytest.fixture(scope="module")
def site(tmp_path_factory) -> Path:
    """The site as `make docs` builds it, with every network request refused (a proxy that does not exist)."""
    out = tmp_path_factory.mktemp("site")
    no_network = {name: "http://127.0.0.1:9" for name in ("HTTP_PROXY", "HTTPS_PROXY", "http_proxy", "https_proxy")}
    env = {**os.environ, **no_network, "NO_PROXY": "", "no_proxy": "", "HF_HUB_OFFLINE": "1",
           "NO_MKDOCS_2_WARNING": "1"}
    done = subprocess.run([sys.executable, "-m", "mkdocs", "build", "--strict", "--quiet", "--site-dir", str(out)],
                          cwd=REPO, env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, (done.stdout + done.stderr)[-4000:]
    return out


def _text(markup: str) -> str:
    """What a reader sees of an HTML fragment: tags dropped, entities decoded, whitespace collapsed."""
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", markup)).split())


def _commands() -> dict[str, object]:
    """Every command of the CLI by its full name ('imagenet-g leaderboard add'), walked from typer's click tree
    (independently of the docs hook that writes the reference)."""
    import typer.main

    from imagenet_g.cli import app

    found: dict[str, object] = {}

    def walk(command, path: str) -> None:
        found[path] = command
        for name, sub in getattr(command, "commands", {}).items():
            if not sub.hidden:
                walk(sub, f"{path} {name}")

    walk(typer.main.get_command(app), "imagenet-g")
    return found


def _sections(page: str) -> dict[str, str]:
    """The CLI reference page cut at each command's heading: command name -> the text of its section."""
    heads = list(re.finditer(r'<h(\d) id="(imagenet-g[^"]*)"[^>]*>(.*?)</h\1>', page, re.S))
    return {_text(head[3]).rstrip("¶ ").strip(): _text(page[head.end():after.start() if after else len(page)])
            for head, after in zip(heads, [*heads[1:], None])}


def _shown(help_text: str) -> str:
    """Help text as a section's text holds it: `code` rendered as code (no backticks), whitespace left out (tags
    around code spans leave spaces in the page's text)."""
    return "".join(help_text.replace("`", "").split())


def _missing_from_reference(page: str) -> list[str]:
    """Every command, argument, option, default and help text of the CLI that the reference page does not show."""
    sections = _sections(page)
    missing = []
    for path, command in _commands().items():
        if path not in sections:
            missing.append(f"{path}: no section")
            continue
        section = sections[path]
        if command.help and _shown(command.help) not in _shown(section):
            missing.append(f"{path}: help text")
        for param in command.params:
            if param.hidden or param.name == "help":
                continue
            names = [*param.opts, *param.secondary_opts] if param.param_type_name == "option" else [param.name]
            missing += [f"{path} {name}" for name in names if name not in section]
            if param.help and _shown(param.help) not in _shown(section):
                missing.append(f"{path} {names[0]}: help text")
            default = param.default
            if param.param_type_name == "option" and param.show_default and not param.is_flag and \
                    isinstance(default, (int, float, str)) and f"default: {default}" not in section:
                missing.append(f"{path} {names[0]}: default {default!r}")
    return missing


def test_cli_reference_shows_every_command_option_default_and_help(site):
    page = (site / "reference" / "cli" / "index.html").read_text(encoding="utf-8")
    assert _missing_from_reference(page) == []


def test_the_cli_check_finds_a_missing_option_and_a_missing_command(site):
    page = (site / "reference" / "cli" / "index.html").read_text(encoding="utf-8")
    assert "imagenet-g eval --bootstrap" in _missing_from_reference(page.replace("--bootstrap", "--b00tstrap"))
    without = re.sub(r'<h(\d) id="imagenet-g-leaderboard-verify".*?</h\1>', "", page, flags=re.S)
    assert "imagenet-g leaderboard verify: no section" in _missing_from_reference(without)


# The faces with a Python reference page (docs/hooks/reference.py): each exported name must be rendered there.
FACES = ("release", "evaluate", "leaderboard", "audit", "train", "sweep", "images")


@pytest.mark.parametrize("face", FACES)
def test_python_reference_renders_every_exported_name(site, face):
    module = importlib.import_module(f"imagenet_g.{face}")
    page = (site / "reference" / "python" / face / "index.html").read_text(encoding="utf-8")
    anchors = set(re.findall(r'id="(imagenet_g\.[\w.]+)"', page))
    assert sorted(f"imagenet_g.{face}.{name}" for name in module.__all__
                  if f"imagenet_g.{face}.{name}" not in anchors) == []


def test_every_guide_is_one_click_from_the_navigation(site):
    """The navigation lists each guide at its top level (not inside a section a reader must open first)."""
    import yaml

    class _Loader(yaml.SafeLoader):
        pass

    _Loader.add_multi_constructor("", lambda loader, suffix, node: None)  # mkdocs.yml's !!python tags
    nav = yaml.load((REPO / "mkdocs.yml").read_text(), Loader=_Loader)["nav"]
    top = {page for entry in nav for page in entry.values() if isinstance(page, str)}
    guides = {p.name for p in (REPO / "docs").glob("*.md")}
    assert guides - top == set()
    home = (site / "index.html").read_text(encoding="utf-8")
    assert [g for g in sorted(guides - {"index.md"}) if f'href="{g.removesuffix(".md")}/"' not in home] == []


def test_architecture_page_names_every_room_of_the_package():
    page = (REPO / "docs" / "architecture.md").read_text(encoding="utf-8")
    package = REPO / "imagenet_g"
    rooms = [p.name + ("/" if p.is_dir() else "") for p in package.iterdir()
             if (p.suffix == ".py" and not p.name.startswith("__")) or (p / "__init__.py").is_file()]
    assert [room for room in sorted(rooms) if f"`{room}`" not in page and f"`{room.rstrip('/')}" not in page] == []

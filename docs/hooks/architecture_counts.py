"""mkdocs hook: the counts table of docs/architecture.md, computed from the code when the site is built.

Between the ``<!-- architecture-counts -->`` markers of that page it writes files per package, import floors (the
longest chain of runtime imports; ``if TYPE_CHECKING`` blocks do not count), public names and those that nothing
outside their own module mentions (package, tests, benchmarks), beside the same counts measured at the commit before
the second architecture step (issue 18), by this code. ``python docs/hooks/architecture_counts.py`` prints them.
"""

from __future__ import annotations

import ast
import re
from collections import Counter
from functools import cache
from pathlib import Path

MARKER = "<!-- architecture-counts -->"
PACKAGES = ("ground floor", "images", "release", "evaluate", "audit", "train", "leaderboard", "sweep", "cli")
# measured by counts() on the tree of commit 9816058~1 (before the image layer and release/'s stages)
BEFORE = {"files: ground floor": 14, "files: images": 0, "files: release": 30, "files: evaluate": 14,
          "files: audit": 12, "files: train": 12, "files: leaderboard": 15, "files: sweep": 0, "files: cli": 8,
          "import floors, whole package": 13, "import floors inside images": 0, "import floors inside release": 11,
          "import floors inside evaluate": 4, "import floors inside audit": 5, "import floors inside train": 5,
          "import floors inside leaderboard": 5, "import floors inside sweep": 0, "public names": 721,
          "public names nobody outside their module uses": 210}
JOBS = ("images", "release", "evaluate", "audit", "train", "leaderboard", "sweep")


def _modules(package: Path) -> dict[str, Path]:
    found = {}
    for path in sorted(package.rglob("*.py")):
        parts = list(path.relative_to(package.parent).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        found[".".join(parts)] = path
    return found


def _runtime_nodes(tree: ast.AST):
    stack = [tree]
    while stack:
        node = stack.pop()
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            stack.extend(node.orelse)
            continue
        yield node
        stack.extend(ast.iter_child_nodes(node))


def _imports(module: str, path: Path, modules: dict[str, Path]) -> set[str]:
    names: set[str] = set()
    for node in _runtime_nodes(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            names |= {node.module} | {f"{node.module}.{a.name}" for a in node.names}
    found = set()
    for name in names:
        while name and name not in modules:
            name = name.rpartition(".")[0]
        if name and name != module and not module.startswith(name + "."):
            found.add(name)
    return found


def _floors(graph: dict[str, set[str]], within: str = "") -> int:
    @cache
    def depth(module: str) -> int:
        return 1 + max((depth(d) for d in graph[module] if d.startswith(within)), default=0)

    return max((depth(m) for m in graph if m.startswith(within)), default=0)


def _public_names(modules: dict[str, Path]) -> dict[tuple[str, str], Path]:
    names = {}
    for module, path in modules.items():
        if path.name == "__init__.py":
            continue
        for node in ast.parse(path.read_text(encoding="utf-8")).body:
            found = []
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                found = [node.name]
            elif isinstance(node, ast.Assign):
                found = [t.id for t in node.targets if isinstance(t, ast.Name)]
            elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
                found = [node.target.id]
            names.update({(module, n): path for n in found if not n.startswith("_")})
    return names


def counts(repo: Path) -> dict[str, int]:
    """The table's measures for the repository at ``repo``."""
    package = repo / "imagenet_g"
    modules = _modules(package)
    files = Counter(m.split(".")[1] if (package / m.split(".")[1]).is_dir() and m.count(".") >= 1 else "ground floor"
                    for m in modules if m != "imagenet_g")
    graph = {m: _imports(m, p, modules) for m, p in modules.items()}
    public = _public_names(modules)
    # every name is an identifier, so "appears as a whole word" is set membership (730 regexes overflowed re's cache)
    words = {p: set(re.findall(r"\w+", p.read_text(encoding="utf-8"))) for p in
             [*modules.values(), *(repo / "tests").rglob("*.py"), *(repo / "benchmark").rglob("*.py")]}
    unused = [n for (_, n), own in public.items() if not any(n in w for p, w in words.items() if p != own)]
    return {**{f"files: {p}": files.get(p, 0) for p in PACKAGES},
            "import floors, whole package": _floors(graph),
            **{f"import floors inside {job}": _floors(graph, f"imagenet_g.{job}") for job in JOBS},
            "public names": len(public), "public names nobody outside their module uses": len(unused)}


def table(repo: Path) -> str:
    """The markdown table: each measure before issue 18 and now."""
    now = counts(repo)
    rows = [f"| {k} | {BEFORE[k] or '-'} | {now[k] or '-'} |" for k in BEFORE]  # '-': no such package
    return "\n".join(["| measure | before (issue 18) | now |", "|---|---:|---:|", *rows])


def on_page_markdown(markdown: str, page, config, files) -> str:
    if page.file.src_uri != "architecture.md" or MARKER not in markdown:
        return markdown
    head, _, rest = markdown.partition(MARKER)
    _, _, tail = rest.partition(MARKER)
    return f"{head}{table(Path(config['config_file_path']).parent)}{tail}"


if __name__ == "__main__":
    print(table(Path(__file__).resolve().parents[2]))

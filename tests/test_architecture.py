"""The package's shape: every module imports on its own, no import cycles (deferred imports count), dependencies
between the job packages point down (evaluate imports nothing of train), and only ``imagenet_g.cli`` knows about the
command line. docs/architecture.md describes these rules ("What the tests enforce")."""

from __future__ import annotations

import ast
import re
import subprocess
import sys
from pathlib import Path

import imagenet_g

PACKAGE = Path(imagenet_g.__file__).resolve().parent


def _modules() -> dict[str, Path]:
    found = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        found[".".join(parts)] = path
    return found


def _imported(module: str, path: Path) -> set[str]:
    """Every imagenet_g module that ``module`` imports anywhere in its file (in functions too; by name through
    ``importlib.import_module`` / ``__import__`` as well)."""
    modules = _modules()
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Call) and getattr(node.func, "id", getattr(node.func, "attr", "")) in (
                "import_module", "__import__") and node.args and isinstance(node.args[0], ast.Constant):
            names.add(str(node.args[0].value))
        elif isinstance(node, ast.Import):
            names |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names |= {node.module} | {f"{node.module}.{alias.name}" for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            raise AssertionError(f"{path}: use absolute imports")
    found = set()
    for name in names:
        while name and name not in modules:
            name = name.rpartition(".")[0]
        # a module's own packages are imported before it anyway: edges up to them are not counted
        if name and name != module and not module.startswith(name + "."):
            found.add(name)
    return found


def _cycle(graph: dict[str, set[str]]) -> list[str] | None:
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        stack.append(node)
        for dep in sorted(graph.get(node, ())):
            if state.get(dep) == 1:
                return stack[stack.index(dep):] + [dep]
            if dep not in state and (found := visit(dep)):
                return found
        state[node] = 2
        stack.pop()
        return None

    for node in sorted(graph):
        if node not in state and (found := visit(node)):
            return found
    return None


def test_cycle_finder_finds_a_deferred_cycle():
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": set()}
    assert _cycle(graph) == ["a", "b", "c", "a"]
    assert _cycle({"a": {"b"}, "b": set()}) is None


def test_no_import_cycles_deferred_imports_included():
    graph = {module: _imported(module, path) for module, path in _modules().items()}
    assert _cycle(graph) is None


def test_every_module_imports_in_a_fresh_interpreter():
    names = [m for m in _modules() if m != "imagenet_g.__main__"]
    code = "import importlib, sys\nfor name in sys.argv[1:]:\n    importlib.import_module(name)\n"
    done = subprocess.run([sys.executable, "-c", code, *names], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]


# The job packages (docs/architecture.md, "The layers"): a job imports another only below it, through its public
# function (leaderboard verify and train call evaluate); the ground floor (the rest of imagenet_g) imports no job.
JOBS = ("release", "evaluate", "audit", "train", "leaderboard", "sweep", "cli")


def _job(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 and parts[1] in JOBS else "ground floor"


def _job_graph() -> dict[str, set[str]]:
    graph: dict[str, set[str]] = {}
    for module, path in _modules().items():
        if module != "imagenet_g.__main__":  # `python -m imagenet_g` runs the CLI
            graph.setdefault(_job(module), set()).update(
                {_job(dep) for dep in _imported(module, path)} - {_job(module)})
    return graph


def test_evaluate_imports_nothing_of_train():
    """Train runs are loaded through the model source train declares (an entry point), not by evaluate."""
    offenders = {m: sorted(d for d in _imported(m, p) if d == "imagenet_g.train" or d.startswith("imagenet_g.train."))
                 for m, p in _modules().items() if _job(m) == "evaluate"}
    assert {m: deps for m, deps in offenders.items() if deps} == {}


def test_job_dependencies_point_down():
    graph = _job_graph()
    assert graph["ground floor"] == set()
    assert graph["evaluate"] == {"ground floor"}
    assert _cycle(graph) is None, graph


# release/'s stages, bottom up: each imports only the faces of the stages below it (and its own modules); the
# builder, above them all, drives them through their faces.
RELEASE = "imagenet_g.release"
RELEASE_STAGES = ("spec", "store", "generate", "publish", "run")


def _stage(module: str) -> int | None:
    """The floor of a module of release/ (0: spec ... 4: run, 5: the builder and the package's face)."""
    if module != RELEASE and not module.startswith(RELEASE + "."):
        return None
    name = module.removeprefix(RELEASE).lstrip(".").split(".")[0]
    return RELEASE_STAGES.index(name) if name in RELEASE_STAGES else len(RELEASE_STAGES)


def _release_stage_offenders(imports: dict[str, set[str]]) -> dict[str, list[str]]:
    """Imports inside release/ that point up a stage, or into another stage past its face."""
    offenders = {}
    for module, deps in imports.items():
        if (floor := _stage(module)) is None:
            continue
        # a stage's own modules import each other freely; the builder and the face have no stage of their own
        own = ".".join(module.split(".")[:3]) + "." if floor < len(RELEASE_STAGES) else None
        bad = []
        for dep in sorted(deps):
            if (below := _stage(dep)) is None or (own and dep.startswith(own)):
                continue
            private = below < len(RELEASE_STAGES) and dep != f"{RELEASE}.{RELEASE_STAGES[below]}"
            if below > floor or private:
                bad.append(dep)
        if bad:
            offenders[module] = bad
    return offenders


def test_release_stage_finder_sees_upward_and_private_imports():
    imports = {
        "imagenet_g.release.store.manifest": {"imagenet_g.release.spec", "imagenet_g.release.store.integrity"},
        "imagenet_g.release.store.writer": {"imagenet_g.release.run"},  # up a stage
        "imagenet_g.release.generate.shard": {"imagenet_g.release.store.schema"},  # past store's face
        "imagenet_g.release.builder": {"imagenet_g.release.run", "imagenet_g.release.run.jobs"},
        "imagenet_g.release": {"imagenet_g.release.builder", "imagenet_g.release.spec", "imagenet_g.release.spec.lock"},
        "imagenet_g.release.run": {"imagenet_g.release.run.jobs"},
    }
    assert _release_stage_offenders(imports) == {
        "imagenet_g.release.store.writer": ["imagenet_g.release.run"],
        "imagenet_g.release.generate.shard": ["imagenet_g.release.store.schema"],
        "imagenet_g.release.builder": ["imagenet_g.release.run.jobs"],
        "imagenet_g.release": ["imagenet_g.release.spec.lock"],
    }


def test_release_stages_import_down_through_their_faces():
    """spec < store < generate < publish < run < builder: a stage imports the faces of the stages below it only."""
    imports = {module: _imported(module, path) for module, path in _modules().items()}
    assert _release_stage_offenders(imports) == {}


def test_release_keeps_its_top_level_small():
    top = sorted(p.name for p in (PACKAGE / "release").iterdir() if p.name != "__pycache__")
    assert top == sorted(["__init__.py", "builder.py", *RELEASE_STAGES]), top
    assert len(top) <= 8


def _package(module: str) -> str | None:
    """The sub-package of imagenet_g that ``module`` belongs to (a job, the CLI, the image layer), None on the ground
    floor's single modules."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 and (PACKAGE / parts[1] / "__init__.py").is_file() else None


def _past_the_faces(module: str, path: Path) -> list[str]:
    """What ``module`` takes from another package past that package's face: its modules
    (``imagenet_g.evaluate.run`` rather than ``imagenet_g.evaluate``) and its private names (``_name``)."""
    own = _package(module)
    found = {d for d in _imported(module, path) if (q := _package(d)) not in (None, own) and d != f"imagenet_g.{q}"}
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("imagenet_g"):
            found |= {f"{node.module}.{a.name}" for a in node.names
                      if a.name.startswith("_") and not a.name.endswith("__") and _package(node.module) != own}
    return sorted(found)


def test_face_finder_sees_modules_and_private_names_past_a_face(tmp_path):
    path = tmp_path / "m.py"
    path.write_text("from imagenet_g.evaluate import run_eval, _private\nimport imagenet_g.leaderboard.rank\n"
                    "from imagenet_g.errors import ImagenetGError\nfrom imagenet_g.cli.app import app\n"
                    "from imagenet_g.images.decode import decode_rgb\n")
    assert _past_the_faces("imagenet_g.cli.m", path) == [
        "imagenet_g.evaluate._private", "imagenet_g.images.decode", "imagenet_g.leaderboard.rank"]


def test_packages_use_each_others_faces_only():
    """One rule for every package (the jobs, the CLI, the image layer): another package is used through its face
    (``from imagenet_g.<package> import name``), never through a module inside it or a private name, so a package's
    inside can change without breaking the others (docs/architecture.md)."""
    offenders = {m: found for m, p in _modules().items() if (found := _past_the_faces(m, p))}
    assert offenders == {}


def test_the_import_finder_sees_imports_by_name(tmp_path):
    path = tmp_path / "m.py"
    path.write_text("import importlib\n\ndef f():\n    return importlib.import_module('imagenet_g.train.trained')\n")
    assert _imported("imagenet_g.evaluate.m", path) == {"imagenet_g.train.trained"}


def test_only_the_cli_imports_the_cli():
    offenders = [m for m, p in _modules().items() if not m.startswith("imagenet_g.cli") and m != "imagenet_g.__main__"
                 and any(dep.startswith("imagenet_g.cli") for dep in _imported(m, p))]
    assert offenders == []


def test_importing_the_label_space_imports_no_torch():
    code = "import sys, imagenet_g.labels; print(sorted(m for m in ('torch', 'timm', 'open_clip') if m in sys.modules))"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"


# A flag of ours: --word. Other programs' commands quoted as advice (Ray's own CLI) are not ours.
_FLAG = re.compile(r"(?<![\w-])--[a-z][a-z0-9-]*")
_OTHER_PROGRAMS = re.compile(r"`ray start --head`")


def _flags_in_errors(source: str) -> list[str]:
    """Flags named in the text of raised errors and of error constructors (``...Error(...)``, ``...Problems(...)``)."""
    found, seen = [], set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Raise) and node.exc is not None:
            parts = [node.exc]
        elif isinstance(node, ast.Call) and getattr(node.func, "id", getattr(node.func, "attr", "")).endswith(
                ("Error", "Problems")):
            parts = list(node.args) + [k.value for k in node.keywords]
        else:
            continue
        for part in parts:
            for sub in ast.walk(part):
                if isinstance(sub, ast.Constant) and isinstance(sub.value, str) and id(sub) not in seen:
                    seen.add(id(sub))
                    found += _FLAG.findall(_OTHER_PROGRAMS.sub("", sub.value))
    return found


def test_flag_finder_sees_flags_in_errors_only():
    source = (
        'def f(x):\n'
        '    help = "--not-an-error"\n'
        '    if x:\n'
        '        raise ValueError(f"bad {x}; pass --device cpu")\n'
        '    error = OutputError("x", fix="set --dataset-dir")\n'
        '    raise ClusterError("no cluster", "start one with `ray start --head`")\n'
    )
    assert _flags_in_errors(source) == ["--device", "--dataset-dir"]


def test_only_the_cli_names_flags_in_errors():
    offenders = {m: flags for m, p in _modules().items() if not m.startswith("imagenet_g.cli")
                 and (flags := _flags_in_errors(p.read_text(encoding="utf-8")))}
    assert offenders == {}, "library errors name parameters as {param} in their fix; the CLI renders flags"


def _hand_built_unknowns(source: str) -> list[str]:
    """Unknown-name messages written by hand instead of by ``errors.unknown``: a call of ``close_matches``, a
    'choose one of' list, or an f-string that starts 'unknown <kind> {name}'."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Call) and getattr(node.func, "id", getattr(node.func, "attr", "")) == "close_matches":
            found.append("close_matches(...)")
        elif isinstance(node, ast.Constant) and isinstance(node.value, str) and "choose one of" in node.value:
            found.append(node.value)
        elif (isinstance(node, ast.JoinedStr) and node.values and isinstance(node.values[0], ast.Constant)
              and re.match(r"unknown [\w -]+ $", str(node.values[0].value))
              and any(isinstance(v, ast.FormattedValue) for v in node.values)):
            found.append(str(node.values[0].value))
    return found


def test_unknown_finder_sees_hand_built_messages():
    source = (
        'def f(name, known):\n'
        '    a = UnknownNameError(f"unknown crop mode {name!r}; choose one of: {known}")\n'
        '    b = f"release {name!r}{close_matches(name, known)}"\n'
        '    c = unknown("crop mode", name, known)\n'
        '    d = "unknown key; remove it"\n'
    )
    assert _hand_built_unknowns(source) == ["unknown crop mode ", "; choose one of: ", "close_matches(...)"]


def test_unknown_names_are_reported_by_errors_unknown_only():
    offenders = {m: found for m, p in _modules().items() if m != "imagenet_g.errors"
                 and (found := _hand_built_unknowns(p.read_text(encoding="utf-8")))}
    assert offenders == {}, "build unknown-name errors with imagenet_g.errors.unknown(kind, name, choices, ...)"


def test_unknown_writes_every_unknown_name_message_the_same_way():
    from imagenet_g.errors import SpecError, UnknownNameError, unknown

    plain = unknown("crop mode", "centre", ("center", "squash"))
    assert isinstance(plain, UnknownNameError)
    assert str(plain) == "unknown crop mode 'centre' (did you mean: center?); choose one of: center, squash"
    recipe = unknown("recipe", "x", ("a", "b"), param="recipe", otherwise="a recipe .yaml file")
    assert recipe.render(lambda p: f"--{p}") == "unknown recipe 'x'; set --recipe to one of: a, b, or a recipe .yaml file"
    built = unknown("release", "v1", (), where="(not built at /d)", otherwise="build release v1 first")
    assert str(built) == "unknown release 'v1' (not built at /d); build release v1 first"
    spec = unknown("scheduler", "DDIMSchedular", ("DDIMScheduler",), fix="use a scheduler class", key="generator.scheduler.name",
                   error=SpecError)
    assert isinstance(spec, SpecError) and str(spec) == (
        "generator.scheduler.name: unknown scheduler 'DDIMSchedular' (did you mean: DDIMScheduler?); use a scheduler class")


# The image layer: every job that reads images does it through imagenet_g.images' face.
IMAGES = "imagenet_g.images"
# Worker-batching loops outside the image layer, by module, with the reason
OWN_LOADERS = {"imagenet_g.train.loader": "training policy over the sources' open(): per-sample seeded "
                                          "augmentation and a resumable distributed sampler"}


def _in(package: str, module: str) -> bool:
    return module == package or module.startswith(package + ".")


def test_images_is_ground_floor_and_imports_no_torch():
    jobs = {m: sorted(d for d in _imported(m, p) if _job(d) != "ground floor")
            for m, p in _modules().items() if _in(IMAGES, m)}
    assert {m: deps for m, deps in jobs.items() if deps} == {}
    code = ("import sys, imagenet_g.images, imagenet_g.images.find\n"
            "imagenet_g.images.FolderImages, imagenet_g.images.locate\n"
            "print(sorted(m for m in ('torch', 'timm', 'open_clip') if m in sys.modules))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"


def _image_readers(source: str) -> dict[str, list[str]]:
    """What a module defines of the image layer's work: classes with an image source's reading methods, PIL
    ``Image.open`` calls (decoding), ``DataLoader`` uses (worker batching)."""
    from imagenet_g.images.source import ImageSource

    reading = {n for n in vars(ImageSource) if not n.startswith("_")} - {"root", "targets", "skipped"}
    found: dict[str, list[str]] = {}
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.ClassDef):
            methods = {f.name for f in node.body if isinstance(f, ast.FunctionDef)}
            if len(methods & reading) >= 2:
                found.setdefault("image source", []).append(node.name)
        elif (isinstance(node, ast.Attribute) and node.attr == "open"
              and getattr(node.value, "id", getattr(node.value, "attr", "")) == "Image"):
            found.setdefault("decode", []).append("Image.open")
        elif (isinstance(node, ast.Name) and node.id == "DataLoader") or (
                isinstance(node, ast.Attribute) and node.attr == "DataLoader"):
            found.setdefault("worker batching", []).append("DataLoader")
    return found


def test_reader_finder_sees_sources_decodes_and_loaders():
    source = (
        "from PIL import Image\nimport torch\n"
        "class Mine:\n    def read(self, i): ...\n    def open(self, i): ...\n"
        "class Other:\n    def read(self, i): ...\n"
        "def f(data):\n    return Image.open(data), torch.utils.data.DataLoader([])\n"
    )
    assert _image_readers(source) == {"image source": ["Mine"], "decode": ["Image.open"],
                                      "worker batching": ["DataLoader"]}


def test_only_the_image_layer_reads_images():
    offenders = {m: found for m, p in _modules().items() if not _in(IMAGES, m)
                 and (found := {k: v for k, v in _image_readers(p.read_text(encoding="utf-8")).items()
                                if not (k == "worker batching" and m in OWN_LOADERS)})}
    assert offenders == {}, "image sources, decoding and worker batching live in imagenet_g.images"

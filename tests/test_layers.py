"""The package's layers, checked over its import graph (every import, also the lazy ones inside functions).

- core computes and knows no front end: no Qt, pyqtgraph, matplotlib, plotting, gui, outputs, cli or app.
- plotting draws results it is given: no Qt, pyqtgraph, pyplot, torch, no explaining or training (the modules of
  core.explain that compute, core.training, core.pipeline, core.model), no gui/outputs/cli.
- outputs writes files: no Qt, no gui, no cli.
- the front ends (gui, cli, app) reach the core's work through the pipeline: they never import core.training,
  core.data or core.model (the pipeline re-exports what they need).
- the small modules beside them: cli_args parses arguments (settings and errors only), launch starts worker
  processes (nothing of the product, no torch), resources_path finds files, api gathers the library's entry points
  (no front end), and the package's own __init__ imports nothing (`import hybridxai_gui` must stay cheap).
- default-deny: every module of the package falls under at least one rule, and no module hides an import from
  these rules (importlib.import_module / __import__ with a name, or a module-level __getattr__ re-export).
The last tests plant one violation of each rule in a copy of the package and check that each is caught.
"""

from __future__ import annotations

import ast
import shutil
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "hybridxai_gui"
QT = ("PySide6", "PyQt5", "PyQt6", "shiboken6", "pyqtgraph")
FRONT_ENDS_MUST_NOT = ("hybridxai_gui.core.training", "hybridxai_gui.core.data", "hybridxai_gui.core.model")
UP = ("hybridxai_gui.plotting", "hybridxai_gui.gui", "hybridxai_gui.outputs", "hybridxai_gui.cli",
      "hybridxai_gui.app")
# The modules that compute explanations (plotting may import result types, words and rank statistics:
# core.explain.shap_result, groups, ranks, summary).
EXPLAINERS = tuple(f"hybridxai_gui.core.explain.{m}" for m in (
    "shap_engine", "shap_kernel", "gradcam", "attention", "faithfulness", "sanity", "run", "rows", "captum_checks",
    "background", "views"))
# (which modules, what they must not import, why)
RULES = [
    ("hybridxai_gui.core", QT + ("matplotlib",) + UP, "the core imports no front end, no Qt and no plotting"),
    ("hybridxai_gui.plotting", QT + ("matplotlib.pyplot", "torch", *EXPLAINERS,
                                     "hybridxai_gui.core.training", "hybridxai_gui.core.pipeline",
                                     "hybridxai_gui.core.model", "hybridxai_gui.gui", "hybridxai_gui.outputs",
                                     "hybridxai_gui.cli", "hybridxai_gui.app"),
     "plotting draws what it is given: it computes no explanations and knows no front end"),
    ("hybridxai_gui.outputs", QT + ("matplotlib.pyplot", "hybridxai_gui.gui", "hybridxai_gui.cli", "hybridxai_gui.app"),
     "outputs writes files for the command line, without Qt"),
    ("hybridxai_gui.gui", FRONT_ENDS_MUST_NOT + ("hybridxai_gui.cli", "hybridxai_gui.outputs"),
     "the app reaches the core's work through core.pipeline"),
    ("hybridxai_gui.cli", FRONT_ENDS_MUST_NOT + QT + ("hybridxai_gui.gui",),
     "the command line reaches the core's work through core.pipeline"),
    ("hybridxai_gui.cli_output", FRONT_ENDS_MUST_NOT + QT + ("hybridxai_gui.gui", "hybridxai_gui.cli"),
     "the command line's terminal output, below the commands"),
    ("hybridxai_gui.app", FRONT_ENDS_MUST_NOT, "the app reaches the core's work through core.pipeline"),
    ("hybridxai_gui.cli_args", FRONT_ENDS_MUST_NOT + QT + ("hybridxai_gui.core.pipeline", "hybridxai_gui.core.explain",
                                                          "hybridxai_gui.gui", "hybridxai_gui.outputs", "torch"),
     "the command line's arguments become settings; nothing else"),
    ("hybridxai_gui.launch", QT + ("hybridxai_gui.core", "hybridxai_gui.gui", "hybridxai_gui.plotting",
                                   "hybridxai_gui.outputs", "hybridxai_gui.cli", "torch"),
     "launch starts worker processes and imports nothing of the product"),
    ("hybridxai_gui.resources_path", QT + ("hybridxai_gui.core.pipeline", "hybridxai_gui.core.training",
                                           "hybridxai_gui.core.model", "hybridxai_gui.core.data", "hybridxai_gui.gui",
                                           "hybridxai_gui.plotting", "hybridxai_gui.outputs", "torch"),
     "resources_path finds the bundled files"),
    ("hybridxai_gui.api", QT + UP, "the library's entry points are the core's"),
    ("hybridxai_gui.__main__", FRONT_ENDS_MUST_NOT + ("hybridxai_gui.cli",), "`python -m hybridxai_gui` opens the app"),
    ("=hybridxai_gui", ("hybridxai_gui", "torch", "numpy", "pandas") + QT, "`import hybridxai_gui` stays cheap"),
]


def module_name(path: Path, root: Path) -> str:
    parts = list(path.relative_to(root.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def imports_of(path: Path, root: Path) -> list[tuple[str, int]]:
    """Every module `path` imports (absolute names), with its line, wherever the import statement stands."""
    name = module_name(path, root)
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if isinstance(node, ast.Import):
            found += [(alias.name, node.lineno) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - (node.level - 1)]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            found.append((target, node.lineno))
            # `from . import plotting` / `from ..core import training` name modules too
            found += [(f"{target}.{alias.name}", node.lineno) for alias in node.names if alias.name != "*"]
    return found


def _within(name: str, prefix: str) -> bool:
    if prefix.startswith("="):  # this module alone, not the modules under it
        return name == prefix[1:]
    return name == prefix or name.startswith(prefix + ".")


def hidden_imports(path: Path) -> list[tuple[str, int]]:
    """Imports these rules cannot see: a module named by a string (importlib.import_module, __import__) and a
    module-level __getattr__ (a re-export that imports on attribute access)."""
    found = []
    tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            f = node.func
            name = f.attr if isinstance(f, ast.Attribute) else f.id if isinstance(f, ast.Name) else ""
            if name in ("import_module", "__import__"):
                found.append((f"a string import ({name})", node.lineno))
    for node in tree.body:
        if isinstance(node, ast.FunctionDef) and node.name == "__getattr__":
            found.append(("a module __getattr__ re-export", node.lineno))
    return found


def violations(root: Path = PACKAGE) -> list[str]:
    out = []
    for path in sorted(root.rglob("*.py")):
        name = module_name(path, root)
        if not any(_within(name, scope) for scope, _, _ in RULES):
            out.append(f"{path.relative_to(root.parent)}:1 is under no rule (every module must be; add one)")
        for what, line in hidden_imports(path):
            out.append(f"{path.relative_to(root.parent)}:{line} hides an import from these rules: {what}")
        for scope, forbidden, why in RULES:
            if not _within(name, scope):
                continue
            flagged = set()
            for target, line in imports_of(path, root):
                if line not in flagged and any(_within(target, f) for f in forbidden):
                    flagged.add(line)  # one finding per import statement
                    out.append(f"{path.relative_to(root.parent)}:{line} imports {target} ({why})")
    return out


def test_the_package_keeps_its_layers():
    assert violations() == []


def test_relative_imports_are_resolved():
    core_data = PACKAGE / "core" / "data" / "tables.py"
    targets = {t for t, _ in imports_of(core_data, PACKAGE)}
    assert "hybridxai_gui.core.data.csvio" in targets and "hybridxai_gui.core.errors.setting" in targets


PLANTED = [
    ("core/data/tables.py", "def _planted():\n    from ...plotting import explain_plots  # lazy, still an import\n",
     "core/data/tables.py"),
    ("core/errors.py", "import PySide6.QtWidgets\n", "core/errors.py"),
    ("core/model_files/checkpoint.py", "def _planted():\n    import hybridxai_gui.outputs.training\n",
     "core/model_files/checkpoint.py"),
    ("plotting/explain_plots.py", "def _planted(model, x):\n    from ..core.explain.gradcam import GradCAM\n",
     "plotting/explain_plots.py"),
    ("plotting/map_plots.py", "import matplotlib.pyplot as plt\n", "plotting/map_plots.py"),
    ("gui/predict_tab.py", "def _planted():\n    from ..core.data import prepare_data\n", "gui/predict_tab.py"),
    ("gui/training_tab.py", "from ..core import training\n", "gui/training_tab.py"),
    ("cli.py", "def _planted():\n    from .core.training import train\n", "cli.py"),
    ("cli_args.py", "def _planted():\n    from .core.pipeline import prepare\n", "cli_args.py"),
    ("launch.py", "import torch\n", "launch.py"),
    ("resources_path.py", "from hybridxai_gui.gui import main_window\n", "resources_path.py"),
    ("api.py", "from .gui.main_window import MainWindow\n", "api.py"),
    ("__init__.py", "from .core import pipeline\n", "__init__.py"),
    ("core/config.py", "def _planted():\n    import importlib\n    return importlib.import_module('hybridxai_gui.gui')\n",
     "core/config.py"),
    ("core/pipeline.py", "def __getattr__(name):\n    return name\n", "core/pipeline.py"),
    ("newmodule.py", "X = 1\n", "newmodule.py"),
]


@pytest.mark.parametrize("target, code, expected", PLANTED, ids=[p[0] for p in PLANTED])
def test_a_planted_violation_is_caught(tmp_path, target, code, expected):
    copy = tmp_path / "hybridxai_gui"
    shutil.copytree(PACKAGE, copy, ignore=shutil.ignore_patterns("__pycache__"))
    path = copy / target
    old = path.read_text(encoding="utf-8") if path.exists() else ""
    path.write_text(old + "\n\n" + code, encoding="utf-8")
    found = violations(copy)
    assert len(found) == 1 and found[0].startswith(f"hybridxai_gui/{expected}:"), found

"""Layering (DESIGN.md §1): nothing below app/ui imports Qt, so every rule is testable without a
screen and the CLI shares the window's code path. An `ast` scan of the source plus an import
check in a fresh interpreter."""

from __future__ import annotations

import ast
import subprocess
import sys
from collections.abc import Iterable
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
APP = ROOT / "app"
QT = ("PySide6", "shiboken6")
UI = ("app.ui",)
BELOW_UI = [APP / "models", APP / "services", APP / "formats"]
SINGLE_FILES = [APP / "errors.py", APP / "__init__.py", APP / "selftest.py",
                APP / "logging_setup.py"]


def _hits(name: str, forbidden: Iterable[str]) -> bool:
    return any(name == f or name.startswith(f + ".") for f in forbidden)


def _imported_names(node: ast.AST) -> list[str]:
    """Module names an import node (or a call of __import__/import_module with a literal)
    brings in."""
    if isinstance(node, ast.Import):
        return [a.name for a in node.names]
    if isinstance(node, ast.ImportFrom):
        if node.level or not node.module:
            return []
        return [node.module] + [f"{node.module}.{a.name}" for a in node.names]
    if isinstance(node, ast.Call) and node.args:
        func = node.func
        name = func.id if isinstance(func, ast.Name) else (
            func.attr if isinstance(func, ast.Attribute) else "")
        arg = node.args[0]
        if name in ("__import__", "import_module") and isinstance(arg, ast.Constant) \
                and isinstance(arg.value, str):
            return [arg.value]
    return []


def forbidden_imports(source: str, forbidden: Iterable[str] = QT, *,
                      top_level_only: bool = False, filename: str = "<string>") -> list[str]:
    """The forbidden modules `source` imports, as 'line N: module'."""
    tree = ast.parse(source, filename=filename)
    nodes: Iterable[ast.AST] = tree.body if top_level_only else ast.walk(tree)
    found = []
    forbidden = tuple(forbidden)
    for node in nodes:
        for name in _imported_names(node):
            if _hits(name, forbidden):
                found.append(f"line {getattr(node, 'lineno', '?')}: {name}")
                break
    return found


def scan(files: Iterable[Path], forbidden: Iterable[str] = QT, *,
         top_level_only: bool = False) -> dict[str, list[str]]:
    """Offending files (relative to the project) and what each imports."""
    bad: dict[str, list[str]] = {}
    forbidden = tuple(forbidden)
    for path in files:
        hits = forbidden_imports(path.read_text(encoding="utf-8"), forbidden,
                                 top_level_only=top_level_only, filename=str(path))
        if hits:
            bad[str(path.relative_to(ROOT) if path.is_relative_to(ROOT) else path)] = hits
    return bad


def _below_ui_files() -> list[Path]:
    files = [p for d in BELOW_UI for p in sorted(d.rglob("*.py"))]
    return files + [p for p in SINGLE_FILES if p.exists()]


# --- the scanner itself ---------------------------------------------------------------------------
@pytest.mark.parametrize("source", [
    "import PySide6",
    "import PySide6.QtCore",
    "import PySide6.QtWidgets as qw",
    "from PySide6 import QtCore",
    "from PySide6.QtGui import QColor, QFont",
    "import shiboken6",
    "from shiboken6 import isValid",
    "import os, PySide6",
    "def f():\n    from PySide6.QtCore import Qt\n    return Qt",
    "try:\n    import PySide6\nexcept ImportError:\n    pass",
    "__import__('PySide6.QtCore')",
    "import importlib\nimportlib.import_module('PySide6')",
])
def test_scanner_finds_qt_imports(source: str) -> None:
    assert forbidden_imports(source) != []


@pytest.mark.parametrize("source", [
    "import os\nfrom sqlalchemy import select",
    "from app.services import Services",
    "import PySide6x",  # a different package that merely starts with the same letters
    "from . import PySide6",  # a relative name is not the Qt package
    "s = 'import PySide6'\n# import PySide6",
])
def test_scanner_ignores_other_imports(source: str) -> None:
    assert forbidden_imports(source) == []


def test_scanner_top_level_only() -> None:
    src = "import os\n\ndef run():\n    from PySide6.QtWidgets import QApplication\n"
    assert forbidden_imports(src, top_level_only=True) == []
    assert forbidden_imports(src) == ["line 4: PySide6.QtWidgets"]


def test_scan_reports_offending_files(tmp_path: Path) -> None:
    (tmp_path / "clean.py").write_text("import json\n")
    (tmp_path / "dirty.py").write_text("import json\nfrom PySide6.QtCore import QObject\n")
    bad = scan(sorted(tmp_path.glob("*.py")))
    assert list(bad) == [str(tmp_path / "dirty.py")]
    assert bad[str(tmp_path / "dirty.py")] == ["line 2: PySide6.QtCore"]


# --- the project ----------------------------------------------------------------------------------
def test_there_is_code_to_scan() -> None:
    files = _below_ui_files()
    assert len(files) >= 10
    assert APP / "services" / "database.py" in files


def test_models_services_formats_do_not_import_qt() -> None:
    bad = scan(_below_ui_files(), QT + UI)
    assert bad == {}, f"Qt (or app.ui) imported below the UI layer: {bad}"


def test_cli_imports_no_qt_at_start() -> None:
    bad = scan([APP / "cli.py"], QT + UI, top_level_only=True)
    assert bad == {}, f"app/cli.py must import Qt and app.ui only inside commands: {bad}"
    assert scan([APP / "cli.py"], QT) == {}, "app/cli.py reaches Qt only through app.ui"


def test_importing_the_core_loads_no_qt() -> None:
    """The transitive check: import every module below the UI in a fresh interpreter."""
    modules = sorted(
        ".".join(p.relative_to(ROOT).with_suffix("").parts).removesuffix(".__init__")
        for p in _below_ui_files())
    code = ("import importlib, sys\n"
            f"for m in {modules + ['app.cli']!r}:\n"
            "    importlib.import_module(m)\n"
            "print(sorted(k for k in sys.modules if k.split('.')[0] in "
            f"{list(QT)!r} or k.startswith('app.ui')))\n")
    res = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True,
                         text=True, timeout=120, check=False)
    assert res.returncode == 0, res.stderr[-2000:]
    assert res.stdout.strip() == "[]"

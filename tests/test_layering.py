"""The pure cores import no web framework, database or portal code."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

FORBIDDEN = ("flask", "sqlalchemy", "wtforms", "weasyprint", "portal")


@pytest.mark.parametrize("package", ["selection", "geo"])
def test_pure_package_imports_no_framework(package: str) -> None:
    code = (
        "import importlib, pkgutil, sys\n"
        f"pkg = importlib.import_module('{package}')\n"
        "for mod in pkgutil.walk_packages(pkg.__path__, pkg.__name__ + '.'):\n"
        "    if not mod.name.endswith('__main__'):\n"
        "        importlib.import_module(mod.name)\n"
        f"bad = sorted(m for m in sys.modules if m.split('.')[0] in {FORBIDDEN!r})\n"
        "print(','.join(bad))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == ""


def test_selection_does_not_import_geo() -> None:
    code = (
        "import importlib, pkgutil, sys, selection\n"
        "for m in pkgutil.walk_packages(selection.__path__, 'selection.'):\n"
        "    importlib.import_module(m.name)\n"
        "print('geo' in sys.modules)"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "False"


# --- portal/ by area: rules <- services <- forms <- views ------------------------------------

PORTAL = Path(__file__).resolve().parent.parent / "portal"
LAYER = {"rules": 0, "services": 1, "forms": 2, "views": 3}


def _imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
            found.update(f"{node.module}.{alias.name}" for alias in node.names)
    return found


def _layer_of(module: str) -> int | None:
    parts = module.split(".")
    if len(parts) == 3 and parts[0] == "portal":
        return LAYER.get(parts[2])
    return None


def _area_modules() -> list[Path]:
    return sorted(p for p in PORTAL.glob("*/*.py") if p.stem in LAYER and p.parent.name != "models")


def test_area_modules_import_only_lower_layers() -> None:
    problems = []
    for path in _area_modules():
        own = LAYER[path.stem]
        for module in _imported_modules(path):
            layer = _layer_of(module)
            if (
                layer is not None
                and layer >= own
                and module != f"portal.{path.parent.name}.{path.stem}"
            ):
                problems.append(f"{path.relative_to(PORTAL)} imports {module}")
    assert problems == []


def test_rules_are_pure() -> None:
    allowed_portal = {"portal.i18n"}
    problems = []
    for path in sorted(PORTAL.glob("*/rules.py")):
        for module in _imported_modules(path):
            top = module.split(".")[0]
            if top in FORBIDDEN[:-1] or (
                top == "portal"
                and module.rsplit(".", 1)[0] not in allowed_portal
                and module not in allowed_portal
            ):
                problems.append(f"{path.relative_to(PORTAL)} imports {module}")
    assert problems == []


def test_services_own_their_input_types() -> None:
    """A service module imports no form module and no web framework."""
    problems = []
    for path in sorted(PORTAL.glob("*/services.py")):
        for module in _imported_modules(path):
            if module.split(".")[0] in ("flask", "flask_wtf", "wtforms", "flask_login"):
                problems.append(f"{path.relative_to(PORTAL)} imports {module}")
    assert problems == []


def test_the_layer_check_sees_a_violation(tmp_path: Path) -> None:
    bad = tmp_path / "services.py"
    bad.write_text("from portal.applications.forms import DraftFormBase\n")
    assert _layer_of("portal.applications.forms") == LAYER["forms"]
    assert "portal.applications.forms" in _imported_modules(bad)

"""The pure cores import no web framework, database or portal code."""

from __future__ import annotations

import subprocess
import sys

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

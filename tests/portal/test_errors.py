"""Every domain error a service can raise has a Danish message in the one catalogue."""

from __future__ import annotations

import ast
from pathlib import Path

from portal.errors import MESSAGES, DomainError

PORTAL = Path(__file__).resolve().parents[2] / "portal"


def _error_classes() -> dict[str, str]:
    return {cls.__name__: cls.area for cls in DomainError.__subclasses__()}


def _raised_codes() -> set[str]:
    classes = _error_classes() | {"LoginRefused": "accounts"}
    found = set()
    for path in PORTAL.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Name)
                and node.func.id in classes
                and node.args
                and isinstance(node.args[0], ast.Constant)
            ):
                found.add(f"{classes[node.func.id]}.{node.args[0].value}")
    return found


def test_every_raised_code_has_a_message() -> None:
    raised = _raised_codes()
    assert len(raised) > 10  # the scan sees the services' refusals
    assert sorted(raised - MESSAGES.keys()) == []


def test_accounts_login_codes_are_catalogued() -> None:
    for code in ("bad_credentials", "inactive", "demo_disabled", "throttled"):
        assert f"accounts.{code}" in MESSAGES

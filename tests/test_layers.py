"""Services own every write and its audit row: the web pages and the API only call them.

Read from the source (AST), so a new view that writes a model or an audit row fails here whatever
test data it would need to run.
"""

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
LAYERS = ["registry/web", "registry/api"]
WRITES = {"create", "update", "delete", "bulk_create", "bulk_update", "get_or_create", "update_or_create"}


def _sources():
    for layer in LAYERS:
        yield from sorted((ROOT / layer).rglob("*.py"))


def _through_objects(node: ast.AST) -> bool:
    """Is `.objects` somewhere in this call chain (Model.objects.filter(...).update)?"""
    while isinstance(node, ast.Attribute | ast.Call):
        if isinstance(node, ast.Attribute) and node.attr == "objects":
            return True
        node = node.value if isinstance(node, ast.Attribute) else node.func
    return False


def offences(source: str) -> list[str]:
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.ImportFrom) and any(alias.name == "audit_record" for alias in node.names):
            found.append(f"line {node.lineno}: imports audit_record")
        if isinstance(node, ast.Name | ast.Attribute) and getattr(node, "id", getattr(node, "attr", "")) == (
            "audit_record"
        ):
            found.append(f"line {node.lineno}: uses audit_record")
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr in WRITES
            and _through_objects(node.func.value)
        ):
            found.append(f"line {node.lineno}: writes through .objects.….{node.func.attr}()")
    return found


@pytest.mark.parametrize("path", list(_sources()), ids=lambda p: str(p.relative_to(ROOT)))
def test_web_and_api_leave_writes_and_audit_to_services(path):
    assert offences(path.read_text(encoding="utf-8")) == []


def test_the_check_catches_what_it_is_for():
    bad = (
        "from registry.audit.services import audit_record\n"
        "def view(request):\n"
        "    Application.objects.filter(pk=1).update(status='x')\n"
        "    User.objects.create(phone='1')\n"
        "    audit_record(action='x')\n"
    )
    assert len(offences(bad)) == 4  # the import, the update, the create, the call
    assert offences("def view(request):\n    return Application.objects.filter(pk=1).first()\n") == []

"""Services and the domain speak the product's language, not HTTP's: they take commands and
plain values (never the API's request models) and name fields by their domain names (the
API layer turns "start" into "body.start", see chalicelib/api/routing.py)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
LOWER_LAYERS = sorted(
    [*(ROOT / "chalicelib" / "services").rglob("*.py"), *(ROOT / "chalicelib" / "domain").rglob("*.py")]
)
HTTP_LOCATIONS = ("body.", "query.", "header.", "path.")


def _name(path: Path) -> str:
    return str(path.relative_to(ROOT))


def _imports(tree: ast.AST) -> set[str]:
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module)
            found |= {f"{node.module}.{alias.name}" for alias in node.names}
    return found


def _http_locations(tree: ast.AST) -> list[str]:
    """String literals (and f-strings by their first part) that start with an HTTP location."""
    found = []
    for node in ast.walk(tree):
        text = None
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            text = node.value
        elif isinstance(node, ast.JoinedStr) and node.values and isinstance(node.values[0], ast.Constant):
            text = str(node.values[0].value)
        if text is not None and text.startswith(HTTP_LOCATIONS):
            found.append(f"line {node.lineno}: {text!r}")
    return found


def test_there_are_modules_to_check() -> None:
    assert any(p.name == "catalog.py" and p.parent.name == "services" for p in LOWER_LAYERS)


@pytest.mark.parametrize("path", LOWER_LAYERS, ids=_name)
def test_no_service_or_domain_module_imports_the_api_schemas(path: Path) -> None:
    imports = _imports(ast.parse(path.read_text(encoding="utf-8")))
    offending = sorted(
        name for name in imports if name.split(".")[:2] in (["chalicelib", "schemas"], ["chalicelib", "api"])
    )
    assert not offending, f"{_name(path)} imports {offending}: take a command or plain values instead"


@pytest.mark.parametrize("path", LOWER_LAYERS, ids=_name)
def test_no_service_or_domain_module_names_an_http_location(path: Path) -> None:
    found = _http_locations(ast.parse(path.read_text(encoding="utf-8")))
    assert not found, f"{_name(path)} names HTTP locations {found}: use the domain field name"

"""The layers of docs/architecture.md, read from the source with ``ast`` (nothing is imported).

Every import of every module under chalicelib/ and app.py counts: top-level, function-local,
``if TYPE_CHECKING:``, relative (``from . import x``), and the module names given as strings
to ``lazy_import(...)`` / ``importlib.import_module(...)``. Three rules:

(a) an import points to its own layer or a lower one, never up;
(b) no import cycle between two or more modules (each cycle is reported once);
(c) only the store (and the base ``aws_clients.py``) knows the DynamoDB SDK: nobody else
    imports pynamodb, botocore or boto3.dynamodb, or builds a ``client("dynamodb")``.

A violation reads ``file:line  a -> b (why)``; a cycle names every hop. KNOWN_VIOLATIONS
holds the same text without the line numbers, so edits elsewhere in a file do not break it.
"""

from __future__ import annotations

import ast
import re
import shutil
import textwrap
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

# Being removed by the store/seams work (issue #12); must end empty.
KNOWN_VIOLATIONS: frozenset[str] = frozenset({})

# Top to bottom. A module belongs to the first layer one of whose names is the module or a
# package containing it; any other module directly under chalicelib/ is base.
LAYERS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("wiring", ("app", "chalicelib.consumers", "chalicelib.schedules", "chalicelib.cli")),
    ("api", ("chalicelib.api",)),
    ("schemas", ("chalicelib.schemas",)),
    ("services", ("chalicelib.services",)),
    ("notify", ("chalicelib.notify",)),
    ("privacy", ("chalicelib.privacy",)),
    ("store", ("chalicelib.store",)),
    ("security", ("chalicelib.security",)),
    ("domain", ("chalicelib.domain",)),
)
BASE = "base"
OWN_PACKAGES = ("app", "chalicelib")
SDK_MODULES = ("pynamodb", "botocore", "boto3.dynamodb")
SDK_SERVICES = frozenset({"dynamodb", "dynamodbstreams"})
SDK_ALLOWED = ("chalicelib.store", "chalicelib.aws_clients")
DYNAMIC_IMPORTERS = frozenset({"lazy_import", "import_module", "__import__"})


@dataclass(frozen=True)
class Import:
    line: int
    target: str  # the scanned module imported, or an outside module as written


@dataclass(frozen=True)
class Module:
    name: str
    path: str  # relative to the scanned root, with forward slashes
    tree: ast.Module
    is_package: bool


def _within(name: str, package: str) -> bool:
    return name == package or name.startswith(package + ".")


def layer_of(module: str, is_package: bool = False) -> str | None:
    """The layer's name; None for a sub-package of chalicelib that no layer names."""
    for layer, names in LAYERS:
        if any(_within(module, name) for name in names):
            return layer
    if module == "chalicelib" or (module.count(".") == 1 and not is_package):
        return BASE
    return None


def _rank(layer: str) -> int:
    names = [name for name, _ in LAYERS] + [BASE]
    return names.index(layer)


def load_modules(root: Path) -> dict[str, Module]:
    files = sorted((root / "chalicelib").rglob("*.py"))
    if (root / "app.py").exists():
        files.insert(0, root / "app.py")
    modules: dict[str, Module] = {}
    for file in files:
        rel = file.relative_to(root)
        parts = list(rel.with_suffix("").parts)
        is_package = parts[-1] == "__init__"
        if is_package:
            parts.pop()
        name = ".".join(parts)
        tree = ast.parse(file.read_text(encoding="utf-8"), filename=str(rel))
        modules[name] = Module(name, rel.as_posix(), tree, is_package)
    return modules


def _relative_base(module: Module, level: int, written: str | None) -> str:
    package = module.name.split(".") if module.is_package else module.name.split(".")[:-1]
    if level > 1:
        package = package[: len(package) - (level - 1)]
    return ".".join([*package, *([written] if written else [])])


def _call_name(call: ast.Call) -> str | None:
    if isinstance(call.func, ast.Name):
        return call.func.id
    if isinstance(call.func, ast.Attribute):
        return call.func.attr
    return None


def _first_str_arg(call: ast.Call, keyword: str) -> str | None:
    if call.args and isinstance(call.args[0], ast.Constant) and isinstance(call.args[0].value, str):
        return call.args[0].value
    for kw in call.keywords:
        if kw.arg == keyword and isinstance(kw.value, ast.Constant) and isinstance(kw.value.value, str):
            return kw.value.value
    return None


def _own(name: str) -> bool:
    return any(_within(name, own) for own in OWN_PACKAGES)


def _sdk_name(name: str) -> bool:
    return any(_within(name, sdk) for sdk in SDK_MODULES)


def _resolve(name: str, modules: dict[str, Module]) -> str:
    """A scanned module's name: the longest existing prefix (``chalicelib.x.Thing`` -> ``chalicelib.x``)."""
    parts = name.split(".")
    while parts:
        if ".".join(parts) in modules:
            return ".".join(parts)
        parts.pop()
    return name  # not in the tree (an outside package, or a lazy name that does not exist)


def imports_of(module: Module, modules: dict[str, Module]) -> list[Import]:
    """Every module this one imports, wherever the import stands, one per name imported."""
    found: list[Import] = []
    for node in ast.walk(module.tree):
        if isinstance(node, ast.Import):
            found += [Import(node.lineno, _resolve(alias.name, modules)) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = _relative_base(module, node.level, node.module) if node.level else (node.module or "")
            for alias in node.names:
                # "from chalicelib.store import users" names the submodule; "from x import Thing" names x
                full = f"{base}.{alias.name}"
                named = full in modules or (not _own(full) and _sdk_name(full) and not _sdk_name(base))
                found.append(Import(node.lineno, full if named else _resolve(base, modules)))
        elif isinstance(node, ast.Call) and _call_name(node) in DYNAMIC_IMPORTERS:
            name = _first_str_arg(node, "name")
            if name:
                found.append(Import(node.lineno, _resolve(name, modules)))
    return sorted(set(found), key=lambda imp: (imp.line, imp.target))


def module_edges(modules: dict[str, Module]) -> dict[tuple[str, str], int]:
    """(importer, imported) -> the first line that makes the edge; own modules only, no self-edges."""
    edges: dict[tuple[str, str], int] = {}
    for module in modules.values():
        for imp in imports_of(module, modules):
            if imp.target in modules and imp.target != module.name:
                edges.setdefault((module.name, imp.target), imp.line)
    return edges


def _upward(modules: dict[str, Module]) -> list[str]:
    found: list[str] = []
    for module in modules.values():
        layer = layer_of(module.name, module.is_package)
        if layer is None:
            found.append(f"{module.path}:1  {module.name} is in no layer (add it to LAYERS)")
            continue
        for imp in imports_of(module, modules):
            target = modules.get(imp.target)
            target_layer = layer_of(imp.target, target is not None and target.is_package) if _own(imp.target) else None
            if target_layer is not None and _rank(target_layer) < _rank(layer):
                found.append(
                    f"{module.path}:{imp.line}  {module.name} -> {imp.target} (upward: {layer} -> {target_layer})"
                )
    return found


def _sdk(modules: dict[str, Module]) -> list[str]:
    found: list[str] = []
    for module in modules.values():
        if any(_within(module.name, allowed) for allowed in SDK_ALLOWED):
            continue
        hits: dict[str, int] = {}
        for imp in imports_of(module, modules):
            if _sdk_name(imp.target):
                hits.setdefault(imp.target, imp.line)
        for node in ast.walk(module.tree):
            if isinstance(node, ast.Call) and _call_name(node) in ("client", "resource"):
                service = _first_str_arg(node, "service_name")
                if service in SDK_SERVICES:
                    hits.setdefault(f'{_call_name(node)}("{service}")', node.lineno)
        found += [
            f"{module.path}:{line}  {module.name} -> {target} (DynamoDB SDK outside the store)"
            for target, line in sorted(hits.items(), key=lambda item: (item[1], item[0]))
        ]
    return found


def _strongly_connected(nodes: list[str], graph: dict[str, list[str]]) -> list[list[str]]:
    """Tarjan's algorithm, iterative; components in no particular order."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    components: list[list[str]] = []
    for start in nodes:
        if start in index:
            continue
        work = [(start, iter(graph[start]))]
        index[start] = low[start] = len(index)
        stack.append(start)
        on_stack.add(start)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is None:
                work.pop()
                if work:
                    low[work[-1][0]] = min(low[work[-1][0]], low[node])
                if low[node] == index[node]:
                    component: list[str] = []
                    while True:
                        member = stack.pop()
                        on_stack.discard(member)
                        component.append(member)
                        if member == node:
                            break
                    components.append(component)
            elif child not in index:
                index[child] = low[child] = len(index)
                stack.append(child)
                on_stack.add(child)
                work.append((child, iter(graph[child])))
            elif child in on_stack:
                low[node] = min(low[node], index[child])
    return components


def _elementary_cycles(component: list[str], graph: dict[str, list[str]], limit: int = 200) -> list[list[str]]:
    """Each simple cycle once, starting at its smallest module (so rotations coincide)."""
    members = set(component)
    cycles: list[list[str]] = []
    for start in sorted(component):
        allowed = {m for m in members if m >= start}
        path = [start]
        pending = [iter(sorted(n for n in graph[start] if n in allowed))]
        while pending and len(cycles) < limit:
            child = next(pending[-1], None)
            if child is None:
                pending.pop()
                path.pop()
            elif child == start:
                cycles.append([*path])
            elif child not in path:
                path.append(child)
                pending.append(iter(sorted(n for n in graph[child] if n in allowed)))
    return cycles


def _cycles(modules: dict[str, Module], edges: dict[tuple[str, str], int]) -> list[str]:
    graph: dict[str, list[str]] = {name: [] for name in modules}
    for src, dst in edges:
        graph[src].append(dst)
    found: list[str] = []
    for component in _strongly_connected(sorted(graph), graph):
        if len(component) < 2:
            continue
        for cycle in _elementary_cycles(component, graph):
            hops = zip(cycle, [*cycle[1:], cycle[0]], strict=True)
            found.append("cycle: " + " | ".join(f"{modules[a].path}:{edges[(a, b)]}  {a} -> {b}" for a, b in hops))
    return sorted(found)


def find_violations(root: Path) -> list[str]:
    """Every layering violation in the tree at ``root`` (which holds chalicelib/ and app.py)."""
    modules = load_modules(root)
    return _upward(modules) + _cycles(modules, module_edges(modules)) + _sdk(modules)


def without_lines(violation: str) -> str:
    return re.sub(r"(\.py):\d+", r"\1", violation)


# --- the tree -----------------------------------------------------------------------------


def test_the_tree_keeps_its_layers():
    # Given every violation in the repository
    found = find_violations(ROOT)
    keys = {without_lines(v) for v in found}
    # Then each is a known one being removed, and each known one still occurs (the list shrinks)
    unexpected = [v for v in found if without_lines(v) not in KNOWN_VIOLATIONS]
    gone = sorted(KNOWN_VIOLATIONS - keys)
    assert not unexpected, "layering violations:\n" + "\n".join(unexpected)
    assert not gone, "fixed, so remove from KNOWN_VIOLATIONS:\n" + "\n".join(gone)


# --- the checker, on planted trees ---------------------------------------------------------

MINIMAL = {
    "app.py": "from chalicelib.api import routes\n",
    "chalicelib/__init__.py": "",
    "chalicelib/settings.py": "",
    "chalicelib/lazy.py": "from chalicelib import settings\n",
    "chalicelib/api/__init__.py": "",
    "chalicelib/api/routes.py": (
        "from typing import TYPE_CHECKING\n"
        "from chalicelib.lazy import lazy_import\n"
        "if TYPE_CHECKING:\n"
        "    from chalicelib.services import things\n"
        "else:\n"
        '    things = lazy_import("chalicelib.services.things")\n'
    ),
    "chalicelib/services/__init__.py": "",
    "chalicelib/services/things.py": "from chalicelib.store import things\nfrom . import helpers\n",
    "chalicelib/services/helpers.py": "from chalicelib.domain.rules import rule\n",
    "chalicelib/store/__init__.py": "",
    "chalicelib/store/things.py": 'import pynamodb\nfrom chalicelib.aws_clients import client\nclient("dynamodb")\n',
    "chalicelib/aws_clients.py": 'import botocore\ndef client(service):\n    return service\nclient("dynamodb")\n',
    "chalicelib/domain/__init__.py": "",
    "chalicelib/domain/rules.py": "def rule():\n    return 1\n",
}


def plant(root: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text))
    return root


def test_a_layered_tree_has_no_violations(tmp_path):
    assert find_violations(plant(tmp_path, MINIMAL)) == []


@pytest.mark.parametrize(
    "planted",
    [
        "from chalicelib.services import things\n",
        "import chalicelib.services.things\n",
        "def later():\n    from chalicelib.services.things import x\n",
        "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from chalicelib.services import things\n",
        'from chalicelib.lazy import lazy_import\nthings = lazy_import("chalicelib.services.things")\n',
        'import importlib\nthings = importlib.import_module("chalicelib.services.things")\n',
        "from ..services import things\n",
    ],
    ids=["from", "import", "function-local", "type-checking", "lazy_import", "import_module", "relative"],
)
def test_an_upward_import_is_reported(tmp_path, planted):
    # Given a minimal layered tree where a domain module imports a service, however written
    lines = planted.count("\n")
    root = plant(tmp_path, {**MINIMAL, "chalicelib/domain/upward.py": planted})
    # Then it is reported, with the line of the import
    assert find_violations(root) == [
        f"chalicelib/domain/upward.py:{lines}  chalicelib.domain.upward -> chalicelib.services.things"
        " (upward: domain -> services)"
    ]


def test_a_cycle_is_reported_once_with_every_hop(tmp_path):
    # Given two store modules importing each other (one inside a function)
    root = plant(
        tmp_path,
        {
            **MINIMAL,
            "chalicelib/store/a.py": "from chalicelib.store import b\n",
            "chalicelib/store/b.py": "\n\ndef f():\n    from chalicelib.store.a import x\n",
        },
    )
    # Then the cycle is reported once, naming both imports
    assert find_violations(root) == [
        "cycle: chalicelib/store/a.py:1  chalicelib.store.a -> chalicelib.store.b"
        " | chalicelib/store/b.py:4  chalicelib.store.b -> chalicelib.store.a"
    ]


def test_a_longer_cycle_is_reported_once(tmp_path):
    root = plant(
        tmp_path,
        {
            **MINIMAL,
            "chalicelib/store/c.py": "from chalicelib.store import a\n",
            "chalicelib/store/a.py": "from chalicelib.store import b\n",
            "chalicelib/store/b.py": "from chalicelib.store import c\n",
        },
    )
    assert find_violations(root) == [
        "cycle: chalicelib/store/a.py:1  chalicelib.store.a -> chalicelib.store.b"
        " | chalicelib/store/b.py:1  chalicelib.store.b -> chalicelib.store.c"
        " | chalicelib/store/c.py:1  chalicelib.store.c -> chalicelib.store.a"
    ]


@pytest.mark.parametrize(
    ("planted", "target"),
    [
        ("from pynamodb.attributes import UnicodeAttribute\n", "pynamodb.attributes"),
        ("import botocore.exceptions\n", "botocore.exceptions"),
        ("from boto3.dynamodb.types import TypeDeserializer\n", "boto3.dynamodb.types"),
        ('from chalicelib.aws_clients import client\nclient("dynamodb")\n', 'client("dynamodb")'),
        ('import boto3\nboto3.client("dynamodbstreams")\n', 'client("dynamodbstreams")'),
    ],
)
def test_the_dynamodb_sdk_outside_the_store_is_reported(tmp_path, planted, target):
    lines = planted.count("\n")
    root = plant(tmp_path, {**MINIMAL, "chalicelib/services/raw.py": planted})
    assert find_violations(root) == [
        f"chalicelib/services/raw.py:{lines}  chalicelib.services.raw -> {target} (DynamoDB SDK outside the store)"
    ]


def test_other_aws_clients_are_fine_anywhere(tmp_path):
    planted = 'from chalicelib.aws_clients import client\nclient("sqs")\nclient("s3")\nimport boto3\n'
    assert find_violations(plant(tmp_path, {**MINIMAL, "chalicelib/notify/send.py": planted})) == []


def test_a_package_in_no_layer_is_reported(tmp_path):
    root = plant(tmp_path, {**MINIMAL, "chalicelib/extras/__init__.py": "", "chalicelib/extras/x.py": ""})
    assert find_violations(root) == [
        "chalicelib/extras/__init__.py:1  chalicelib.extras is in no layer (add it to LAYERS)",
        "chalicelib/extras/x.py:1  chalicelib.extras.x is in no layer (add it to LAYERS)",
    ]


def test_an_upward_import_planted_in_a_copy_of_the_real_tree_is_reported(tmp_path):
    # Given a copy of the repository's code with a domain module reaching up to the API
    shutil.copytree(ROOT / "chalicelib", tmp_path / "chalicelib", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(ROOT / "app.py", tmp_path / "app.py")
    rules = tmp_path / "chalicelib" / "domain" / "catalog.py"
    rules.write_text(rules.read_text() + "\n\ndef planted():\n    from chalicelib.api import routing\n")
    line = rules.read_text().count("\n")
    # Then exactly that violation is new
    new = [v for v in find_violations(tmp_path) if without_lines(v) not in KNOWN_VIOLATIONS]
    assert new == [
        f"chalicelib/domain/catalog.py:{line}  chalicelib.domain.catalog -> chalicelib.api.routing"
        " (upward: domain -> api)"
    ]

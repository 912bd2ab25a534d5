"""The layout's promises: a domain without the web layer, and no import cycles."""
import ast
import re
from graphlib import CycleError, TopologicalSorter

import pytest

from tests.conftest import PROJECT_ROOT

APP = PROJECT_ROOT / "app"
WEB_IMPORT = re.compile(r"^(from|import) (flask|flask_[a-z]+)\b|app\.banner", re.MULTILINE)


def _module_name(path):
    parts = path.relative_to(PROJECT_ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imports():
    """Return {module: app modules it imports at its top level} (imports inside functions are
    deferred on purpose and cannot form a cycle at import time)."""
    paths = [path for path in APP.rglob("*.py") if "migrations" not in path.parts]
    modules = {_module_name(path): path for path in paths}
    graph = {}
    for name, path in modules.items():
        found = set()
        for node in ast.parse(path.read_text(encoding="utf-8")).body:
            if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("app"):
                found.add(node.module)
                found |= {f"{node.module}.{alias.name}" for alias in node.names} & set(modules)
            elif isinstance(node, ast.Import):
                found |= {alias.name for alias in node.names if alias.name in modules}
        graph[name] = found & set(modules) - {name}
    return graph


@pytest.mark.parametrize("area", ["ledger", "sites"])
def test_the_domain_imports_nothing_of_the_web_layer(area):
    offenders = [str(path.relative_to(PROJECT_ROOT)) for path in (APP / area).rglob("*.py")
                 if WEB_IMPORT.search(path.read_text(encoding="utf-8"))]
    assert offenders == []


def test_no_module_imports_itself_back():
    try:
        tuple(TopologicalSorter(_imports()).static_order())
    except CycleError as error:
        pytest.fail(f"import cycle: {' -> '.join(error.args[1])}")

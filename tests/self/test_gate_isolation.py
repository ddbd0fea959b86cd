"""The gate shares no code with what it checks: gate/ and the check dirs never import the backend."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
ROOTS = ["gate", "tests/preflight", "tests/window", "tests/postflight", "tests/rollback", "conftest.py"]
FORBIDDEN = ("apps", "backend", "freesport", "django")


def imported_modules(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(), filename=str(path))
    names = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.append(node.module)
        elif isinstance(node, ast.Call) and getattr(node.func, "attr", getattr(node.func, "id", "")) in (
            "import_module", "__import__") and node.args and isinstance(node.args[0], ast.Constant):
            names.append(str(node.args[0].value))
    return names


def imported_names(path: Path) -> set[str]:
    """The modules ``path`` imports and, for ``from a import b``, ``a.b`` too (a submodule imported by name)."""
    tree = ast.parse(path.read_text(), filename=str(path))
    froms = {f"{node.module}.{alias.name}" for node in ast.walk(tree)
             if isinstance(node, ast.ImportFrom) and node.module and node.level == 0 for alias in node.names}
    return set(imported_modules(path)) | froms


PROBES = REPO / "gate" / "probes"
"""Programs sent into the target's interpreter (manage.py shell -c): the one place Django is named."""


def gate_files() -> list[Path]:
    files = []
    for root in ROOTS:
        path = REPO / root
        files += [path] if path.is_file() else sorted(path.rglob("*.py"))
    return [f for f in files if f.parent != PROBES or f.name == "__init__.py"]


def test_probes_are_never_imported_by_the_gate():
    """Only ``gate.probes`` (which reads the probes as text) is imported; a probe module never is.

    Nor by the rehearsal (its isolation probe is ``gate/probes/connection.py``) or the benchmarks.
    """
    probe_modules = {f"gate.probes.{p.stem}" for p in PROBES.glob("*.py") if p.stem != "__init__"}
    files = gate_files() + sorted((REPO / "rehearse").rglob("*.py")) + sorted((REPO / "bench").rglob("*.py"))
    importers = {str(f.relative_to(REPO)): sorted(imported_names(f) & probe_modules) for f in files}
    assert {k: v for k, v in importers.items() if v} == {}
    assert "connection" in {p.stem for p in PROBES.glob("*.py")}


@pytest.mark.parametrize("path", gate_files(), ids=lambda p: str(p.relative_to(REPO)))
def test_never_imports_the_backend(path):
    bad = [m for m in imported_modules(path) if m.split(".")[0] in FORBIDDEN]
    assert bad == [], f"{path.relative_to(REPO)} imports {bad}: the gate must read, not share, the backend's code"


def test_the_scan_sees_a_probe_imported_by_name(tmp_path):
    sample = tmp_path / "x.py"
    sample.write_text("from gate import probes\nfrom gate.probes import connection\n")
    assert {"gate.probes", "gate.probes.connection"} <= imported_names(sample)


def test_the_scan_sees_an_import_of_apps(tmp_path):
    sample = tmp_path / "x.py"
    sample.write_text("from apps.products.models import Product\nimport importlib\nimportlib.import_module('backend.x')\n")
    assert imported_modules(sample) == ["apps.products.models", "importlib", "backend.x"]

"""gate/ reads at a glance: no import cycle between its parts, no file name twice.

A part is a subpackage (``gate.window``, ``gate.report``…) or a top-level module (``gate.settings``,
``gate.plugin``…). An edge is any import of another part, lazy ones included, plus the modules a
pytest plugin lists in ``pytest_plugins`` (pytest imports them for it). ``__main__.py`` files are
programs, never imported by anyone, so they are the one place allowed to use any part (the
window's command line sends notifications and prints the console's summary). The scan is ``ast``
(the same reader as test_gate_isolation); grimp is not a dependency of the project.
"""

from __future__ import annotations

import ast
import shutil
from collections import Counter
from pathlib import Path

from tests.self.test_gate_isolation import imported_modules

REPO = Path(__file__).resolve().parents[2]
GATE = REPO / "gate"
NOT_PROGRAMS = ("__init__.py", "__main__.py")


def _part(module: str) -> str | None:
    """``gate.window.runner`` → ``gate.window``; ``gate.settings`` → ``gate.settings``; else None."""
    parts = module.split(".")
    return ".".join(parts[:2]) if parts[0] == "gate" and len(parts) > 1 else None


def _plugins_listed(tree: ast.Module) -> list[str]:
    """The module names of a top-level ``pytest_plugins = [...]``."""
    for node in tree.body:
        if isinstance(node, ast.Assign) and any(getattr(t, "id", "") == "pytest_plugins" for t in node.targets):
            return [e.value for e in ast.walk(node.value) if isinstance(e, ast.Constant) and isinstance(e.value, str)]
    return []


def import_graph(root: Path) -> dict[str, dict[str, set[str]]]:
    """Per part, the parts it imports and the files that do it (``__main__.py`` programs left out)."""
    graph: dict[str, dict[str, set[str]]] = {}
    for path in sorted(root.rglob("*.py")):
        rel = path.relative_to(root.parent)
        if path.name == "__main__.py" or rel.parts == ("gate", "__init__.py"):
            continue
        source = _part(".".join(rel.with_suffix("").parts))
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        for module in [*imported_modules(path), *_plugins_listed(tree)]:
            target = _part(module)
            if source and target and target != source:
                graph.setdefault(source, {}).setdefault(target, set()).add(str(rel))
    return graph


def cycles(graph: dict[str, dict[str, set[str]]]) -> list[list[str]]:
    """The strongly connected groups of two or more parts (Tarjan), each sorted."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        for nxt in graph.get(node, {}):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            group = []
            while True:
                member = stack.pop()
                group.append(member)
                if member == node:
                    break
            if len(group) > 1:
                found.append(sorted(group))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return sorted(found)


def explain(graph: dict[str, dict[str, set[str]]], group: list[str]) -> list[str]:
    """The edges inside a cycle, with the files that make them (what to read to break it)."""
    return [f"{a} -> {b} ({', '.join(sorted(files))})" for a in group for b, files in sorted(graph.get(a, {}).items())
            if b in group]


def repeated_names(root: Path) -> dict[str, list[str]]:
    """File names that occur more than once under ``root`` (``__init__.py``/``__main__.py`` aside)."""
    paths = [p for p in root.rglob("*.py") if p.name not in NOT_PROGRAMS]
    counts = Counter(p.name for p in paths)
    return {name: sorted(str(p.relative_to(root.parent)) for p in paths if p.name == name)
            for name, n in counts.items() if n > 1}


def test_no_cycle_between_the_parts_of_gate():
    graph = import_graph(GATE)
    assert {tuple(g): explain(graph, g) for g in cycles(graph)} == {}


def test_no_file_name_twice_in_gate():
    assert repeated_names(GATE) == {}


def test_the_scan_sees_a_planted_cycle_and_a_repeated_name(tmp_path):
    """On a copy of gate/ with a cycle planted (the runbook linter importing the window's runner,
    which imports the runbook's extractor) and a second ``budgets.py``, both checks fail."""
    copy = tmp_path / "gate"
    shutil.copytree(GATE, copy, ignore=shutil.ignore_patterns("__pycache__"))
    assert ["gate.runbook", "gate.window"] not in cycles(import_graph(copy))
    linter = copy / "runbook" / "linter.py"
    linter.write_text(linter.read_text(encoding="utf-8") + "\n\ndef _planted():\n"
                      "    from gate.window.runner import WindowRunner\n\n    return WindowRunner\n", encoding="utf-8")
    (copy / "report" / "budgets.py").write_text('"""A second budgets module."""\n', encoding="utf-8")
    graph = import_graph(copy)
    assert ["gate.runbook", "gate.window"] in cycles(graph)
    assert "gate.runbook -> gate.window (gate/runbook/linter.py)" in explain(graph, ["gate.runbook", "gate.window"])
    assert repeated_names(copy)["budgets.py"] == ["gate/report/budgets.py", "gate/window/budgets.py"]


def test_pytest_plugins_count_as_imports(tmp_path):
    """gate/plugin.py lists gate.fixtures in pytest_plugins: a fixture module importing the plugin is a cycle."""
    root = tmp_path / "gate"
    root.mkdir()
    (root / "plugin.py").write_text('pytest_plugins = ["gate.fixtures"]\n')
    (root / "fixtures.py").write_text("def f():\n    from gate.plugin import x\n")
    assert cycles(import_graph(root)) == [["gate.fixtures", "gate.plugin"]]


ENVIRON_READERS: dict[str, str] = {
    "gate/settings.py": "the settings loader: the environment over the env file",
    "gate/target_cmd.py": "builds the environment of the target's commands (env file < process environment < settings)",
    "gate/backup/take.py": "pg_dump's environment: the process's plus the libpq password",
    "gate/backup/archive.py": "pg_restore's environment: the process's plus the libpq password",
    "gate/rollback/reverse.py": "pg_dump/psql's environment: the process's plus the libpq password",
    "gate/rollback/script.py": "the rollback script's environment: the process's plus the caller's",
    "gate/report/allure_report.py": "Allure's environment: PATH, HOME, locale only (no CI variables, no secrets)",
    "gate/redact.py": "secret values in the process environment are masked wherever they appear",
    "gate/window/pytest_server.py": "a forked session sets its own environment (see ENVIRON_WRITERS)",
    "gate/report/__main__.py": "the report's CLI edge: RUN_DIR and RUNS_DIR (a report needs no target's settings)",
}
"""The only modules of gate/ that read ``os.environ``, and why."""

ENVIRON_WRITERS: dict[str, str] = {
    "gate/window/pytest_server.py": "a forked child becomes a new pytest session: its environment is set once, "
                                    "before pytest starts, as an exec would set it (never read back by the parent)",
}
"""The only module of gate/ that writes ``os.environ``: a process's own start, not a message to another part."""


def environ_uses(path: Path) -> tuple[bool, list[int]]:
    """(reads ``os.environ``/``os.getenv``, lines that write ``os.environ``) in one file."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    reads, writes = False, []
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id == "os" \
                and node.attr in ("environ", "getenv", "putenv", "unsetenv"):
            reads = True
        if isinstance(node, ast.Subscript | ast.Attribute) and isinstance(node.ctx, ast.Store | ast.Del) \
                and "os.environ" in ast.unparse(node):
            writes.append(node.lineno)
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) \
                and ast.unparse(node.func.value) == "os.environ" \
                and node.func.attr in ("pop", "setdefault", "update", "clear", "popitem"):
            writes.append(node.lineno)
        if isinstance(node, ast.Call) and ast.unparse(node.func) in ("os.putenv", "os.unsetenv"):
            writes.append(node.lineno)
    return reads, writes


def environ_report(root: Path) -> tuple[list[str], dict[str, list[int]]]:
    """(modules reading the environment that are not allowed to, writes of the environment per module)."""
    readers, writers = [], {}
    for path in sorted(root.rglob("*.py")):
        rel = str(path.relative_to(root.parent))
        reads, writes = environ_uses(path)
        if reads and rel not in ENVIRON_READERS:
            readers.append(rel)
        if writes and rel not in ENVIRON_WRITERS:
            writers[rel] = writes
    return readers, writers


def test_no_value_travels_through_the_environment_inside_the_gate():
    """Run directory, "after the first destructive step", the window's steps: arguments, never os.environ."""
    assert environ_report(GATE) == ([], {})


def test_the_environment_scan_sees_a_bus(tmp_path):
    root = tmp_path / "gate"
    (root / "window").mkdir(parents=True)
    (root / "window" / "runner.py").write_text('import os\nos.environ["RUN_DIR"] = "/r"\nos.environ.pop("X", None)\n')
    (root / "run.py").write_text('import os\n\ndef started():\n    return os.environ.get("GATE_AFTER_DESTRUCTIVE")\n')
    (root / "settings.py").write_text('import os\nENV = dict(os.environ)\n')
    assert environ_report(root) == (["gate/run.py", "gate/window/runner.py"], {"gate/window/runner.py": [2, 3]})

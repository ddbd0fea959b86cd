"""The manual names only what exists: make targets, check ids, settings, files and modules.

README.md routes and docs/*.md explains (STYLE.md); both are read here and every name they give a
reader to type or look up is checked against the code: a ``make <target>`` against the Makefile,
a check id against ``gate/checks.py`` (or SPEC.md's checklist, for ids being built), a variable in
a settings table against ``gate.settings.Settings`` or the code that reads it, a repository path
or ``python -m`` module against the tree. The other way round, every Settings field must be
documented somewhere in docs/.
"""

from __future__ import annotations

import os
import re
import sys
from functools import cache
from pathlib import Path

import pytest

from gate.checks import CHECKS
from gate.settings import Settings

REPO = Path(__file__).resolve().parents[2]
README = REPO / "README.md"
DOCS = REPO / "docs"
SPEC = REPO.parent / "shared" / "SPEC.md"
README_MAX_CHARS = 6000

# Pages other helpers are writing: links to them may exist before the page does.
PENDING_PAGES: set[str] = set()

# Variables of the documented programs that are not the gate's (not fields of gate.settings.Settings),
# by owner. Listed by hand so that a refactoring of how they are read cannot hide a stale docs row;
# anything else a docs table names must be read somewhere in the code (reads_in_code(): the gate's
# own few environment reads outside Settings, e.g. GATE_LIVE, NOTIFY_CHANNEL, are found there).
_OWNERS: dict[str, tuple[str, ...]] = {
    # scripts/bootstrap/*.sh
    "bootstrap": ("PG_MAJOR", "DEBIAN_MIRROR", "PG_IMAGE_KEEP_JIT", "DOCKERD_STATE_DIR", "DOCKERD_WAIT", "CHROMIUM"),
    # disposable_pg/ (DISPOSABLE_PG and PG_BIN_DIR are gate settings too)
    "disposable_pg": ("DISPOSABLE_PG_IMAGE", "DISPOSABLE_PG_NO_PULL", "DOCKER_HOST"),
    # make local-target
    "local target": ("LOCAL_SEED_PRODUCTS", "LOCAL_SEED", "LOCAL_SEED_VARIANTS", "LOCAL_TARGET_PORT",
                     "LOCAL_TARGET_DIR", "LOCAL_TARGET_ENV_FILE"),
    # make rehearsal / fault-matrix / rollback-rehearsal
    "rehearsal": ("FAULT", "REHEARSAL_PRODUCTS", "REHEARSAL_VARIANTS_PER_PRODUCT", "REHEARSAL_SEED",
                  "REHEARSAL_ONEC_DIR", "REHEARSAL_BACKEND_PYTHON", "REHEARSAL_PREVIOUS_BACKEND_DIR",
                  "PRE_MIGRATION_TARGET", "REHEARSAL_WORKERS", "REHEARSAL_WORK_DIR", "REHEARSAL_KEEP_WORK",
                  "ROLLBACK_REHEARSAL_DUMP", "REVERSE_MIGRATION_TARGET"),
    # scripts/deploy/rollback_production.sh
    "rollback script": ("CHECKOUT_CMD", "ROLLBACK_RESTORE_MODE", "ROLLBACK_JOBS", "ROLLBACK_RESTORE_ARGS",
                        "ROLLBACK_ADMIN_DB", "ROLLBACK_KEEP_OLD"),
    # backend/freesport/settings.py, backend/gunicorn.conf.py, backend/scripts/serve.py (make serve)
    "backend": ("SECRET_KEY", "DEBUG", "ALLOWED_HOSTS", "LOG_LEVEL", "MAINTENANCE_STATE_DIR",
                "MAINTENANCE_RETRY_AFTER", "API_PAGE_SIZE", "STATIC_ROOT", "DB_CONN_MAX_AGE", "GUNICORN_BIND",
                "WEB_CONCURRENCY", "GUNICORN_THREADS", "GUNICORN_TIMEOUT", "GUNICORN_LOG_LEVEL",
                "SERVE_DIR", "SERVE_PORT"),
    # .github/workflows/nightly-rehearsal.yml: repository variables (vars.*) of the staging runner
    "nightly workflow": ("SHARED_REPOSITORY", "STAGING_BACKEND_DIR", "STAGING_DUMP_CMD", "STAGING_MANAGE_CMD",
                         "STAGING_ONEC_DIR"),
    # Makefile variables passed on as options (make migrate FROM=… TO=… REPEAT=yes, make fault-matrix ONLY=…)
    "Makefile": ("FROM", "TO", "REPEAT", "ONLY"),
}
NON_GATE_VARIABLES: dict[str, str] = {name: owner for owner, names in _OWNERS.items() for name in names}

# Where variables are read: every source and shell file outside the tests, tools and run state.
_SKIP_DIRS = {".venv", "node_modules", "var", "tests", "__pycache__", ".git", "sample_data"}
_PY_READ = re.compile(
    r"""(?:\.get|getenv|setting|env_[a-z]+|setdefault|pop)\(\s*["']([A-Z][A-Z0-9_]+)["']"""
    r"""|environ\[\s*["']([A-Z][A-Z0-9_]+)["']"""
)
_SH_READ = re.compile(r"\$\{?([A-Z][A-Z0-9_]+)")
_MAKE_READ = re.compile(r"\$\(([A-Z][A-Z0-9_]+)\)")

CHECK_ID = re.compile(r"\b[A-Z]{3}-\d\d\b")
UPPER_NAME = re.compile(r"`([A-Z][A-Z0-9_]+)`")
CODE_SPAN = re.compile(r"`([^`\n]+)`")
FENCE = re.compile(r"^```[^\n]*\n(.*?)^```", re.S | re.M)
MAKE_CALL = re.compile(r"(?<![\w/.-])make((?:\s+[^\s#]+)+)")
PYTHON_M = re.compile(r"\bpython3?\s+-m\s+([a-z_][\w.]*)")
LINK = re.compile(r"\]\(([^)#\s]+\.md)(?:#[^)]*)?\)")
REPO_PATH = re.compile(r"^(?:gate|rehearse|disposable_pg|backend|scripts|tests|bench|deploy|docs|\.github|\.ci)/[\w./-]*$")


def pages() -> list[Path]:
    """README.md and every docs page (docs/qa holds data, not prose)."""
    return [README, *sorted(DOCS.glob("*.md"))]


def rel(path: Path) -> str:
    return str(path.relative_to(REPO))


def code_of(text: str) -> list[str]:
    """What a reader would type: fenced blocks and inline code spans."""
    return FENCE.findall(text) + CODE_SPAN.findall(FENCE.sub("", text))


@cache
def makefile_targets() -> frozenset[str]:
    targets: set[str] = set()
    for line in (REPO / "Makefile").read_text().splitlines():
        match = re.match(r"^([A-Za-z0-9_.][A-Za-z0-9_.\- ]*?)\s*:(?!=)", line)
        if match and not match.group(1).startswith("."):
            targets.update(match.group(1).split())
    return frozenset(targets)


def make_targets_named(text: str) -> set[str]:
    """``make a b VAR=x`` → {a, b}: the words after ``make`` up to the first that is not a target name."""
    named = set()
    for code in code_of(text):
        for match in MAKE_CALL.finditer(code):
            for word in match.group(1).split():
                if not re.fullmatch(r"[a-z][a-z0-9_-]*", word):
                    break
                named.add(word)
    return named


@cache
def spec_ids() -> frozenset[str]:
    """Check ids of SPEC.md's checklist (ids other helpers are adding); empty without ../shared."""
    if not SPEC.is_file():
        return frozenset()
    return frozenset(re.findall(r"^\|\s*([A-Z]{3}-\d\d)\s*\|", SPEC.read_text(), re.M))


def setting_names() -> set[str]:
    return {name.upper() for name in Settings.model_fields}


@cache
def reads_in_code() -> frozenset[str]:
    """Every variable some module, script or the Makefile reads from the environment."""
    names: set[str] = set()
    for root, dirs, files in os.walk(REPO):
        dirs[:] = [d for d in dirs if d not in _SKIP_DIRS]
        for path in (Path(root) / f for f in files):
            names |= _reads_in(path)
    return frozenset(names)


def _reads_in(path: Path) -> set[str]:
    """Variables one file reads: environ/get/setting(...) calls in Python, ${VAR} and $(VAR) elsewhere."""
    names: set[str] = set()
    if path.suffix == ".py":
        names.update(a or b for a, b in _PY_READ.findall(path.read_text(errors="ignore")))
    elif path.suffix in (".sh", ".yml") or path.name in ("Makefile", "run"):
        text = path.read_text(errors="ignore")
        names.update(_SH_READ.findall(text))
        names.update(_MAKE_READ.findall(text))
    return names


def settings_table_names(text: str) -> list[str]:
    """UPPER_CASE names in the first column of tables whose header starts with Setting or Variable."""
    names: list[str] = []
    in_table = False
    for line in text.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")] if line.lstrip().startswith("|") else None
        if cells is None:
            in_table = False
            continue
        if not in_table and cells[0] in ("Setting", "Variable"):
            in_table = True
            continue
        if in_table and not set(cells[0]) <= set("-: "):
            names += UPPER_NAME.findall(cells[0])
    return names


def test_readme_is_short_and_starts_with_the_two_commands():
    text = README.read_text()
    assert len(text) <= README_MAX_CHARS, (
        f"README.md has {len(text)} characters (at most {README_MAX_CHARS}): move the detail to docs/")
    first_block = FENCE.search(text)
    assert first_block is not None, "README.md has no ```sh block with the two commands"
    commands = [line.split("#")[0].strip() for line in first_block.group(1).splitlines()]
    assert commands[:2] == ["make rehearsal", "make test"], f"README.md's first block starts with {commands[:2]}"


@pytest.mark.parametrize("page", pages(), ids=rel)
def test_make_targets_exist(page):
    missing = sorted(make_targets_named(page.read_text()) - makefile_targets())
    assert missing == [], f"{rel(page)} names make targets the Makefile does not have: {missing}"


@pytest.mark.parametrize("page", pages(), ids=rel)
def test_check_ids_exist(page):
    known = set(CHECKS) | spec_ids()
    unknown = sorted(set(CHECK_ID.findall(page.read_text())) - known)
    assert unknown == [], f"{rel(page)} names check ids that are neither in gate/checks.py nor SPEC.md: {unknown}"


@pytest.mark.parametrize("page", pages(), ids=rel)
def test_settings_in_tables_exist(page):
    known = setting_names() | reads_in_code() | set(NON_GATE_VARIABLES)
    unknown = sorted(set(settings_table_names(page.read_text())) - known)
    assert unknown == [], (
        f"{rel(page)} documents variables nothing reads: {unknown} (not a field of gate.settings.Settings, "
        "not read by any module or script; a variable read indirectly goes into NON_GATE_VARIABLES)")


def test_every_gate_setting_is_documented():
    text = "\n".join(p.read_text() for p in sorted(DOCS.glob("*.md")))
    undocumented = sorted(n for n in setting_names() if not re.search(rf"\b{n}\b", text))
    assert undocumented == [], f"gate.settings.Settings fields documented nowhere in docs/: {undocumented}"


def test_allow_list_entries_are_documented():
    tables = {n for p in pages() for n in settings_table_names(p.read_text())}
    stale = sorted(set(NON_GATE_VARIABLES) - tables)
    assert stale == [], f"NON_GATE_VARIABLES lists variables no settings table documents: {stale}"


@pytest.mark.parametrize("page", pages(), ids=rel)
def test_paths_modules_and_links_exist(page):
    text = page.read_text()
    missing = []
    for code in code_of(text):
        for token in code.split():
            token = token.strip(",;:()")
            if REPO_PATH.match(token) and not re.search(r"[<*…]|/var/", token) and not (REPO / token).exists():
                missing.append(token)
        for module in PYTHON_M.findall(code):
            top = module.split(".")[0]
            if top in sys.stdlib_module_names or not ((REPO / top).is_dir() or (REPO / f"{top}.py").is_file()):
                continue  # the standard library or a third-party tool (pip, gunicorn…): not ours to check
            base = REPO / module.replace(".", "/")
            if not (base.with_suffix(".py").is_file() or (base / "__main__.py").is_file()):
                missing.append(f"python -m {module}")
    for link in LINK.findall(text):
        target = (page.parent / link).resolve()
        if not target.exists() and rel(target) not in PENDING_PAGES:
            missing.append(link)
    assert missing == [], f"{rel(page)} names files, modules or pages that do not exist: {sorted(set(missing))}"


def test_the_fault_table_is_the_fault_matrix():
    """docs/rehearsal.md has a row for every fault of rehearse/faults.py with its verdict and checks, and no other."""
    from rehearse.faults import FAULTS

    text = (DOCS / "rehearsal.md").read_text()
    rows = {m[1]: (m[2], m[3]) for m in re.finditer(r"^\| `([a-z0-9-]+)` \|.*\| ([A-Z-]+)[^|]* \| ([A-Z0-9, -]+) \|$",
                                                  text, re.MULTILINE)}
    assert sorted(rows) == sorted(FAULTS), "docs/rehearsal.md's fault table and `python -m rehearse faults` differ"
    for name, fault in FAULTS.items():
        assert rows[name] == (fault.expected.value, ", ".join(fault.caught_by)), f"{name}: docs say {rows[name]}"

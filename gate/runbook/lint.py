"""Would each shell line of a runbook work on the configured target? The machinery of RUN-01..03.

Per logical line, every command of its pipeline is classified and checked, nothing executed:

- ``python manage.py <command> [options]``: the command exists and takes every option, read
  from its argument parser on the deployed release (one ``manage.py shell -c`` for all commands,
  the same parser ``manage.py help <command>`` prints);
- a script path (``./scripts/…``): exists and is executable (under ``SCRIPTS_ROOT``, the repo);
- a tool (``pg_dump``, ``curl``, ``sha256sum``…): on ``PATH``, answers ``--version``, and takes the
  line's options (``tool --help``); ``pg_dump``/``pg_restore`` major ≥ the server's;
- a ``curl`` URL: its path resolves with Django's URL resolver on the deployed release (so
  ``/api/v1/…`` against an ``/api/`` release is drift, found without HTTP);
- a tool this target replaces by a setting (``sudo``/``nginx``/``supervisorctl``: the nginx and
  supervisor variants, ``RUNBOOK_VARIANT_TOOLS``) is reported as a variant, covered by that setting.

>>> linter = Linter(settings)                          # doctest: +SKIP
>>> [r for r in linter.lint_markdown(text) if r.status == "drift"]   # doctest: +SKIP
[]
"""

from __future__ import annotations

import json
import re
import shlex
import shutil
import subprocess
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from urllib.parse import urlsplit

from gate.runbook.extract import ShellLine, extract_lines
from gate.settings import REPO, Settings
from gate.steps.commands import run_manage

VARIANT_TOOLS: dict[str, str] = {
    "sudo": "MAINTENANCE_ON_CMD/MAINTENANCE_OFF_CMD (nginx variant)",
    "nginx": "MAINTENANCE_ON_CMD/MAINTENANCE_OFF_CMD (nginx variant)",
    "supervisorctl": "APP_STOP_CMD/APP_START_CMD",
}
SHELL_BUILTINS = {"cd", "echo", "export", "set", "true", "false", "test", "[", "source", ".", "print", "read"}
NO_VERSION = {"ls", "ln", "tail", "grep", "awk", "date", "sha256sum", "cat", "head", "wc", "mkdir", "rm", "cp", "mv"}
VERSIONED = {"pg_dump", "pg_restore", "psql", "dropdb", "createdb"}
_SEPARATORS = {"|", "||", "&&", ";", "&", ";;", "|&"}
_REDIRECTS = {">", ">>", "<", "<<", "<<-", ">&", "&>", "<<<"}
_SUBST = re.compile(r"\$\([^()]*\)")
_IMPORT = re.compile(r"(?:^|[\s\"';])from\s+([\w.]+)\s+import\s+(\w+(?:\s*,\s*\w+)*)", re.M)
_PY = {"python", "python3", ".venv/bin/python"}


@dataclass(frozen=True, slots=True)
class LineReport:
    """The verdict on one runbook line: ``covered``, ``variant``, ``comment`` or ``drift``."""

    number: int
    text: str
    status: str
    detail: str

    @property
    def ok(self) -> bool:
        """Anything but drift."""
        return self.status != "drift"


@dataclass
class Linter:
    """Checks runbook lines against one configured target; results of the target are cached."""

    settings: Settings
    variant_tools: dict[str, str] = field(default_factory=lambda: dict(VARIANT_TOOLS))
    scripts_root: Path = REPO
    _target: dict[str, object] | None = None
    _tools: dict[str, tuple[bool, str]] = field(default_factory=dict)

    # the target's facts, in one manage.py process ------------------------------------------
    def introspect(self, commands: Iterable[str], paths: Iterable[str],
                   imports: Iterable[str] = ()) -> dict[str, object]:
        """Option strings of ``commands``, url names of ``paths``, and whether ``mod:name`` imports exist."""
        code = _INTROSPECT.replace("__COMMANDS__", repr(sorted(set(commands)))).replace(
            "__PATHS__", repr(sorted(set(paths)))).replace("__IMPORTS__", repr(sorted(set(imports))))
        proc = run_manage(self.settings, "shell", "-c", code, timeout=180)
        for line in proc.stdout.splitlines():
            if line.startswith("GATE-JSON:"):
                data: dict[str, object] = json.loads(line[len("GATE-JSON:"):])
                return data
        raise RuntimeError(f"manage.py shell -c exited {proc.returncode}: {(proc.stderr or proc.stdout)[-600:]}")

    def __post_init__(self) -> None:
        wanted = [t for t in self.settings.runbook_variant_tools if t.lower() != "none"]
        self.variant_tools = {t: VARIANT_TOOLS.get(t, "a setting of this target") for t in wanted}

    def prepare(self, lines: list[ShellLine]) -> None:
        """Collect every manage.py command and URL path of ``lines`` and introspect them at once."""
        commands, paths, imports = set(), set(), set()
        for line in lines:
            imports |= set(self._imports(line))
            for argv in self.segments(line.text):
                manage = self._manage_args(argv)
                if manage:
                    commands.add(manage[0])
                elif argv and argv[0] == "curl":
                    path = self._url_path(argv)
                    if path:
                        paths.add(path)
        self._target = self.introspect(commands, paths, imports)

    # parsing --------------------------------------------------------------------------------
    @staticmethod
    def segments(text: str) -> list[list[str]]:
        """The commands of a line's pipeline, as argv lists (substitutions and redirections dropped).

        >>> Linter.segments('grep "a|b" f | awk "{s+=1; n++}" > out')
        [['grep', 'a|b', 'f'], ['awk', '{s+=1; n++}']]
        """
        text = _SUBST.sub("X", text.split("\n")[0] if "<<" in text else text)
        lexer = shlex.shlex(text, posix=True, punctuation_chars="|&;<>")
        lexer.whitespace_split = True
        lexer.commenters = "#"
        try:
            tokens = list(lexer)
        except ValueError:
            tokens = text.split()
        out: list[list[str]] = []
        argv: list[str] = []
        skip_next = False
        for token in tokens:
            if skip_next:
                skip_next = False
                continue
            if token in _SEPARATORS:
                if argv:
                    out.append(argv)
                argv = []
            elif token in _REDIRECTS:
                skip_next = True
                if argv and argv[-1].isdigit():
                    argv.pop()
            elif not argv and re.match(r"^\w+=", token):
                continue
            else:
                argv.append(token)
        if argv:
            out.append(argv)
        return out

    @staticmethod
    def _imports(line: ShellLine) -> list[str]:
        """``module:name`` of every ``from module import name`` in a line's Python (``-c`` or heredoc)."""
        code = line.text + "\n" + "\n".join(line.heredoc)
        return [f"{mod}:{name.strip()}" for mod, names in _IMPORT.findall(code)
                for name in names.split(",") if name.strip()]

    @staticmethod
    def _manage_args(argv: list[str]) -> list[str] | None:
        for i, word in enumerate(argv[:3]):
            if word.endswith("manage.py"):
                return argv[i + 1:] if i + 1 < len(argv) else [""]
        return None

    def _url_path(self, argv: list[str]) -> str | None:
        for word in argv[1:]:
            if word.startswith("$") and "URL" in word:
                return None
            if "://" in word:
                return urlsplit(word).path or "/"
        return None

    # checks -----------------------------------------------------------------------------------
    def check_manage(self, args: list[str]) -> tuple[bool, str]:
        """RUN-01: the command exists on the release and takes every option given."""
        assert self._target is not None, "prepare() first"
        name = args[0]
        known = self._target["commands"].get(name)  # type: ignore[union-attr]
        if known is None:
            return False, f"manage.py {name}: unknown command on the deployed release"
        options = set(known["options"])
        bad = [a.split("=", 1)[0] for a in args[1:] if a.startswith("-") and a.split("=", 1)[0] not in options]
        if bad:
            return False, f"manage.py {name}: unknown option(s) {', '.join(bad)} (known: {', '.join(sorted(options))})"
        choices = known.get("choices") or []
        positional = [a for a in args[1:] if not a.startswith("-")]
        if choices and positional and positional[0] not in choices:
            return False, f"manage.py {name}: {positional[0]!r} is not one of {', '.join(choices)}"
        return True, f"manage.py {name}" + (f" {' '.join(a for a in args[1:] if a.startswith('-'))}" if len(args) > 1 else "")

    def check_url(self, path: str) -> tuple[bool, str]:
        """RUN-03: the URL path resolves on the deployed release."""
        assert self._target is not None, "prepare() first"
        name = self._target["urls"].get(path)  # type: ignore[union-attr]
        if not name:
            return False, f"{path}: does not resolve on the deployed release (API_PREFIX is {self.settings.api_prefix})"
        return True, f"{path} → {name}"

    def check_tool(self, tool: str, options: list[str]) -> tuple[bool, str]:
        """RUN-02: on PATH, answers ``--version``, takes the options used."""
        if tool in self.variant_tools:
            return True, f"variant: replaced on this target by {self.variant_tools[tool]}"
        path = shutil.which(self.settings.tool(tool)) or shutil.which(tool)
        if path is None:
            return False, f"{tool}: not found on PATH"
        if tool not in self._tools:
            version = ""
            if tool not in NO_VERSION:
                proc = subprocess.run([path, "--version"], capture_output=True, text=True, timeout=10, check=False)
                version = (proc.stdout or proc.stderr).strip().splitlines()[0] if (proc.stdout or proc.stderr) else ""
                if proc.returncode != 0:
                    self._tools[tool] = (False, f"{tool} --version exited {proc.returncode}")
                    return self._tools[tool]
            helptext = subprocess.run([path, "--help"], capture_output=True, text=True, timeout=10,
                                      check=False)
            self._tools[tool] = (True, version + "\x00" + helptext.stdout + helptext.stderr)
        ok, info = self._tools[tool]
        if not ok:
            return ok, info
        version, helptext = info.split("\x00", 1)
        if helptext.strip():
            bad = [o for o in options if o.startswith("--") and o.split("=", 1)[0] not in helptext]
            if bad:
                return False, f"{tool}: unknown option(s) {', '.join(bad)}"
        if tool in VERSIONED and self.server_major:
            major = re.search(r"(\d+)(?:\.\d+)?", version)
            if major and int(major.group(1)) < self.server_major:
                return False, f"{tool} {major.group(1)} is older than the server ({self.server_major})"
        return True, f"{tool} ({version or 'present'})"

    def check_script(self, word: str) -> tuple[bool, str]:
        """RUN-02: a script the line runs exists and is executable."""
        path = (self.scripts_root / word).resolve() if not Path(word).is_absolute() else Path(word)
        if not path.exists():
            return False, f"{word}: no such script in {self.scripts_root}"
        if not path.stat().st_mode & 0o111:
            return False, f"{word}: not executable"
        return True, f"script {word}"

    @cached_property
    def server_major(self) -> int:
        """The target server's major version (0 when unreachable)."""
        if self.settings.database_url is None:
            return 0
        try:
            from gate.db.readonly import connect_readonly

            with connect_readonly(self.settings.dsn()) as conn:
                return int(conn.info.server_version // 10000)
        except Exception:  # noqa: BLE001 - unknown server: no version comparison
            return 0

    def lint_line(self, line: ShellLine) -> LineReport:
        """The report of one line (``prepare`` must have seen it)."""
        if line.kind == "comment":
            return LineReport(line.number, line.text, "comment", "")
        problems, covered, variant = [], [], False
        for argv in self.segments(line.text):
            head = argv[0]
            manage = self._manage_args(argv)
            if manage is not None:
                ok, detail = self.check_manage(manage)
            elif head in SHELL_BUILTINS:
                ok, detail = True, f"shell {head}"
            elif "/" in head and not head.startswith("/usr") and head not in _PY:
                ok, detail = self.check_script(head)
            elif head in _PY:
                ok, detail = True, "python"
            else:
                ok, detail = self.check_tool(head, [a for a in argv[1:] if a.startswith("-")])
                variant = variant or detail.startswith("variant")
                if ok and head == "curl":
                    path = self._url_path(argv)
                    if path:
                        ok, detail = self.check_url(path)
                    elif any("ONEC_HEALTHCHECK_URL" in a for a in argv):
                        ok = bool(self.settings.onec_healthcheck_url or self.settings.onec_checkauth_url
                                  or self.settings.base_url)
                        detail = "1C healthcheck: ONEC-01 calls checkauth (ONEC_HEALTHCHECK_URL)"
            (covered if ok else problems).append(detail)
        for spec in self._imports(line):
            if not (self._target or {}).get("imports", {}).get(spec):  # type: ignore[union-attr]
                problems.append(f"{spec.replace(':', ' has no ')}: the Python this line runs would fail to import")
        if problems:
            return LineReport(line.number, line.text, "drift", "; ".join(problems))
        status = "variant" if variant and all(d.startswith("variant") or d.startswith("shell") for d in covered) \
            else "covered"
        detail = "; ".join(dict.fromkeys(covered))
        if line.heredoc:
            detail += f" (+{len(line.heredoc)} heredoc line(s))"
        return LineReport(line.number, line.text, status, detail)

    def lint_markdown(self, markdown: str) -> list[LineReport]:
        """Every shell line of a runbook, checked."""
        lines = extract_lines(markdown)
        self.prepare(lines)
        return [self.lint_line(line) for line in lines]


_INTROSPECT = r'''
import json
from django.core.management import get_commands, load_command_class
from django.core.management.base import BaseCommand
from django.urls import Resolver404, resolve
out = {"commands": {}, "urls": {}}
registry = get_commands()
for name in __COMMANDS__:
    app = registry.get(name)
    if app is None:
        out["commands"][name] = None
        continue
    cmd = app if isinstance(app, BaseCommand) else load_command_class(app, name)
    parser = cmd.create_parser("manage.py", name)
    opts = sorted({s for a in parser._actions for s in a.option_strings})
    choices = [c for a in parser._actions if not a.option_strings and a.choices for c in a.choices]
    if name == "maintenance_mode":
        choices = choices or ["on", "off", "status"]
    out["commands"][name] = {"options": opts, "choices": [str(c) for c in choices]}
for path in __PATHS__:
    try:
        match = resolve(path)
        out["urls"][path] = match.view_name or match.url_name or "view"
    except Resolver404:
        out["urls"][path] = None
import importlib
out["imports"] = {}
for spec in __IMPORTS__:
    module, _, attr = spec.partition(":")
    try:
        out["imports"][spec] = hasattr(importlib.import_module(module), attr)
    except Exception:
        out["imports"][spec] = False
print("GATE-JSON:" + json.dumps(out))
'''

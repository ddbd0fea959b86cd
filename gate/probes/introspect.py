"""Probe (runs inside the target): what runbook-lint asks of the deployed release, in one process.

Option strings and positional choices of management commands, the view each URL path resolves to,
whether ``module:name`` imports exist, and the target-side facts (files, git refs, migrations,
whether a Python call binds to its signature).
"""

from __future__ import annotations

import glob
import importlib
import inspect
import json
import os
import subprocess
from typing import Any

from django.core.management import get_commands, load_command_class
from django.core.management.base import BaseCommand
from django.urls import Resolver404, resolve


def main(given: dict[str, Any]) -> dict[str, Any]:
    """The answers for ``given`` = {"commands": [...], "paths": [...], "imports": [...], "facts": {...}}."""
    out: dict[str, Any] = {"commands": {}, "urls": {}}
    registry = get_commands()
    for name in given["commands"]:
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
    for path in given["paths"]:
        try:
            match = resolve(path)
            out["urls"][path] = match.view_name or match.url_name or "view"
        except Resolver404:
            out["urls"][path] = None
    out["imports"] = {}
    for spec in given["imports"]:
        module, _, attr = spec.partition(":")
        try:
            out["imports"][spec] = hasattr(importlib.import_module(module), attr)
        except Exception:
            out["imports"][spec] = False
    facts = given["facts"]
    out["facts"] = {"fs": {}, "ref": {}, "migration": {}, "call": {}}
    for op, path in facts.get("fs", []):
        p = os.path.expanduser(path)
        if op == "dir":
            ok = os.path.isdir(p)
        elif op == "glob":
            ok = bool(glob.glob(p))
        elif op == "exists":
            ok = os.path.exists(p)
        elif op == "parent":
            ok = os.path.isdir(os.path.dirname(os.path.abspath(p)))
        else:
            ok = os.path.isfile(p) and os.access(p, os.X_OK)
            if not ok and os.path.isfile(p):
                out["facts"]["fs"][op + "\x00" + path] = "not executable"
                continue
        out["facts"]["fs"][op + "\x00" + path] = "" if ok else "missing"
    for repo, ref in facts.get("ref", []):
        try:
            proc = subprocess.run(["git", "-C", repo, "rev-parse", "--verify", "--quiet", ref + "^{commit}"],
                                  capture_output=True, text=True, timeout=30)
            answer = "" if proc.returncode == 0 else ("no such directory" if not os.path.isdir(repo) else
                                                      "not a git repository" if "not a git" in proc.stderr else "unknown ref")
        except (OSError, subprocess.SubprocessError) as exc:
            answer = f"git: {exc}"
        out["facts"]["ref"][repo + "\x00" + ref] = answer
    if facts.get("migration"):
        from django.db.migrations.loader import MigrationLoader
        disk = MigrationLoader(None, ignore_no_migrations=True).disk_migrations
        for app, name in facts["migration"]:
            names = sorted(n for a, n in disk if a == app)
            hits = [n for n in names if n == name or n.startswith(name)]
            out["facts"]["migration"][app + "\x00" + name] = "" if len(hits) == 1 or name in hits else (
                f"{app} has {', '.join(names) or 'no migrations'}")
    for key, _ in facts.get("call", []):
        spec = json.loads(key)
        try:
            obj = getattr(importlib.import_module(spec["module"]), spec["name"])
        except Exception as exc:
            out["facts"]["call"][key + "\x00"] = f"cannot import {spec['name']} from {spec['module']}: {exc}"
            continue
        what = obj
        label = spec["name"]
        if spec["attr"]:
            if not hasattr(obj, spec["attr"]):
                out["facts"]["call"][key + "\x00"] = f"{spec['name']} has no attribute {spec['attr']!r}"
                continue
            what, label = getattr(obj, spec["attr"]), spec["name"] + "." + spec["attr"]
        args = [None] * (spec["args"] + (1 if spec["attr"] and spec["instance"] and inspect.isfunction(what) else 0))
        try:
            inspect.signature(what).bind(*args, **{k: None for k in spec["kwargs"]})
            answer = ""
        except TypeError as exc:
            answer = f"{label}{inspect.signature(what)}: {exc}"
        except ValueError:
            answer = ""
        out["facts"]["call"][key + "\x00"] = answer
    return out

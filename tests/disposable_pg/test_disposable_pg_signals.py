"""A process holding a server that is interrupted or terminated leaves nothing behind.

Ctrl-C (SIGINT) unwinds the ``with`` block, so the server goes at once. SIGTERM kills a plain
Python process without any teardown (as ``kill -9`` does); the next start's orphan sweep (by
owner pid: a registry of clusters, a label on containers) removes what the dead process held.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from disposable_pg.pytest_plugin import unavailable_reason
from disposable_pg.testing import port_closed, still_exists, sweep_orphans

REPO = Path(__file__).resolve().parents[2]

HOLDER = textwrap.dedent(
    """
    import json, signal, sys, time
    from disposable_pg.factory import new_server

    # A shell that starts us in the background ignores SIGINT, and Python keeps SIG_IGN: take Ctrl-C back.
    signal.signal(signal.SIGINT, signal.default_int_handler)
    with new_server(sys.argv[1]) as pg:
        handle = pg.container_id if pg.backend == "container" else str(pg.root)
        print(json.dumps({"host": pg.host, "port": pg.port, "handle": handle}), flush=True)
        time.sleep(120)
    """
)


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM], ids=lambda s: s.name)
@pytest.mark.parametrize("backend", ["container", "local"])
def test_signalled_holder_leaves_nothing_after_the_next_sweep(backend: str, sig: signal.Signals):
    reason = unavailable_reason(backend)
    if reason:
        pytest.skip(f"{backend} backend unavailable: {reason}")
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    child = subprocess.Popen(
        [sys.executable, "-c", HOLDER, backend], stdout=subprocess.PIPE, text=True, env=env, cwd=REPO
    )
    try:
        line = child.stdout.readline() if child.stdout else ""
        assert line, f"holder exited early with {child.wait(30)}"
        held = json.loads(line)
        assert still_exists(backend, held["handle"])
        child.send_signal(sig)
        child.wait(30)
    finally:
        if child.poll() is None:
            child.kill()
            child.wait()

    if sig == signal.SIGINT:
        assert not still_exists(backend, held["handle"]), "Ctrl-C did not tear the server down"
    sweep_orphans(backend)

    assert not still_exists(backend, held["handle"]), f"{backend} left {held['handle']} after {sig.name}"
    assert port_closed(held["host"], held["port"]), f"port {held['port']} still open after {sig.name}"


SESSION_TEST = textwrap.dedent(
    """
    import json, os, time

    def test_hold(disposable_pg):
        pg = disposable_pg
        handle = pg.container_id if pg.backend == "container" else str(pg.root)
        with open(os.environ["HELD_FILE"], "w") as f:
            json.dump({"host": pg.host, "port": pg.port, "handle": handle}, f)
        time.sleep(120)
    """
)


@pytest.mark.parametrize("backend", ["container", "local"])
def test_sigterm_to_pytest_tears_the_session_server_down(backend: str, tmp_path: Path):
    """The plugin turns SIGTERM (a CI timeout) into Ctrl-C, so pytest's teardown removes the server."""
    reason = unavailable_reason(backend)
    if reason:
        pytest.skip(f"{backend} backend unavailable: {reason}")
    (tmp_path / "test_hold.py").write_text(SESSION_TEST)
    held_file = tmp_path / "held.json"
    env = {**os.environ, "PYTHONPATH": str(REPO), "DISPOSABLE_PG": backend, "HELD_FILE": str(held_file)}
    child = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "pytest",
            "-q",
            "-p",
            "no:cacheprovider",
            "-p",
            "disposable_pg.pytest_plugin",
            "--rootdir",
            str(tmp_path),
            "-c",
            "/dev/null",
            str(tmp_path / "test_hold.py"),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env=env,
        cwd=tmp_path,
    )
    try:
        deadline = time.monotonic() + 60
        while not held_file.exists() or not held_file.read_text():
            assert child.poll() is None, child.communicate()[0]
            assert time.monotonic() < deadline, "the session server never started"
            time.sleep(0.1)
        held = json.loads(held_file.read_text())
        child.send_signal(signal.SIGTERM)
        output = child.communicate(timeout=60)[0]
    finally:
        if child.poll() is None:
            child.kill()
            child.wait()

    assert not still_exists(backend, held["handle"]), f"no teardown on SIGTERM:\n{output}"
    assert port_closed(held["host"], held["port"])

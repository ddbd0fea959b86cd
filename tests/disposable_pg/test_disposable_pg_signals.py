"""A process holding a server that is interrupted or terminated leaves nothing behind.

Ctrl-C (SIGINT) unwinds the ``with`` block, so the server goes at once. SIGTERM and
``kill -9`` kill Python without any teardown; the next start's orphan sweep (by owner pid:
a registry of clusters, a label on containers) removes what the dead process held.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from disposable_pg.pytest_plugin import unavailable_reason
from disposable_pg.testing import port_closed, still_exists, sweep_orphans

REPO = Path(__file__).resolve().parents[2]

HOLDER = textwrap.dedent(
    """
    import json, sys, time
    from disposable_pg.factory import new_server

    with new_server(sys.argv[1]) as pg:
        handle = pg.container_id if pg.backend == "container" else str(pg.root)
        print(json.dumps({"host": pg.host, "port": pg.port, "handle": handle}), flush=True)
        time.sleep(120)
    """
)


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM, signal.SIGKILL], ids=lambda s: s.name)
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

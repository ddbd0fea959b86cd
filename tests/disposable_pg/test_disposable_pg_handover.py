"""One disposable server for several processes: started in the background, handed over in a 0600 file.

The owner's :class:`~disposable_pg.handover.Shared` starts a real local cluster in a thread and
publishes its URL; :func:`~disposable_pg.handover.adopt` (what the gate's ``disposable_pg`` fixture
calls) returns it as an existing server only when it answers with the wanted major version; after
``stop()`` the file is gone, the cluster too, and adopting falls back (``None``).
"""

from __future__ import annotations

import stat

import psycopg
import pytest

from disposable_pg.base import PgUnavailable
from disposable_pg.handover import FILE_NAME, Shared, adopt
from disposable_pg.local import REGISTRY, find_bin_dir


def test_a_shared_server_is_adopted_while_it_lives_and_gone_after_stop(tmp_path):
    try:
        find_bin_dir()
    except PgUnavailable as exc:
        pytest.skip(str(exc))
    path = tmp_path / FILE_NAME
    shared = Shared(path, "local", lambda: 15).start_in_background()
    try:
        server = shared.wait(120)
        assert server is not None, shared.error
        assert stat.S_IMODE(path.stat().st_mode) == 0o600, "only the owner's user reads the password"
        adopted = adopt(path, 15)
        assert adopted is not None and adopted.port == server.port and adopted.backend == "existing"
        assert adopt(path, 14) is None, "another major version: the session starts its own"
        with psycopg.connect(adopted.get_connection_url(dbname=None)) as conn:
            assert conn.execute("SELECT 1").fetchone() == (1,)
        root = getattr(server, "root", None)
        assert root is not None and root.parent == REGISTRY and root.exists()
    finally:
        shared.stop()
    assert not path.exists() and adopt(path, 15) is None
    assert not root.exists(), "the cluster is removed"
    path.write_text('{"url": "' + server.get_connection_url() + '"}')
    assert adopt(path, 15) is None, "a file naming a stopped server is not adopted"

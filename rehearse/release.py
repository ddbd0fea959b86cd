"""``DEPLOYED_VERSION_CMD`` of a rehearsal on a copied backend: which release does that code ship?

A fault rehearsal alters a *copy* of the bundled backend, which carries no git tags. As the
gate does for the bundled backend itself (gate/window/deployed.py), the copy is at
``RELEASE_TAG`` when it ships every migration of ``EXPECTED_PLAN``; otherwise this prints
nothing and DEP-01 fails.
"""

from __future__ import annotations

import sys

from gate.cli import command, load_settings


@command("release")
def main() -> int:
    """Print ``RELEASE_TAG`` when every expected migration file exists in ``BACKEND_DIR``."""
    settings = load_settings()
    missing = []
    for name in settings.expected_plan:
        app, _, migration = name.partition(".")
        if not list(settings.backend_dir.glob(f"**/{app}/migrations/{migration}.py")):
            missing.append(name)
    if missing:
        sys.stderr.write(f"release: {settings.backend_dir} lacks {', '.join(missing)}\n")
        return 1
    sys.stdout.write(settings.release_tag + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())

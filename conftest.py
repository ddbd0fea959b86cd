"""Near-empty on purpose: the gate's hooks and fixtures live in ``gate.plugin`` / ``gate.fixtures``.

``pytester`` is enabled for the gate's self-tests (tests/self), which run the gate's plugin
against small check files of their own.
"""

pytest_plugins = ["pytester"]
